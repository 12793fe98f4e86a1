// `producer check`: proves who the credentials sign in as (never the anonymous user, never another
// account), then that they can read Confluence (a space listing, then a page listing), and turns
// each way it can fail into something a person can act on.
import { ExitCode, UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ProducerConfig } from './config.ts';
import { explainFailure } from './failures.ts';
import { describeAccount } from './identity.ts';
import { openSite } from './site.ts';

/** Spaces asked for: one listing page is proof enough; a full page means there are probably more. */
export const SPACES_LISTED = 25;

export interface CheckResult {
  siteUrl: string;
  /** Where the requests went (the gateway for a scoped token). */
  apiUrl: string;
  /** The account the site signed the token in as, e.g. `Jane Doe <jane@acme.com>`. */
  account: string;
  /** Spaces on the first listing page (up to SPACES_LISTED). */
  spacesSeen: number;
  /** A space whose pages were readable, when one had any. */
  pagesReadableIn: string | null;
}

export async function checkAccess(cfg: ProducerConfig, log: Logger): Promise<CheckResult> {
  const retry = { ...cfg.retry, maxRetries: Math.min(cfg.retry.maxRetries, 2) };
  try {
    const site = await openSite(cfg, { connections: 1, retry, log });
    try {
      const account = describeAccount(await site.verifyIdentity());
      const first = await site.spaces(undefined, SPACES_LISTED).next();
      const listed = first.done ? [] : first.value;
      if (listed.length === 0) {
        throw new UserError(`${account} signed in to ${cfg.siteUrl} but can read no Confluence space`, {
          exitCode: ExitCode.auth,
          hint: 'Give the account view permission on the spaces to sync (Space settings → Permissions), or use an account that has it.',
        });
      }
      let pagesReadableIn: string | null = null;
      for (const space of listed.slice(0, 5)) {
        const pages = site.pageRefs(space);
        const batch = await pages.next();
        await pages.return(undefined);
        if (!batch.done && batch.value.length > 0) {
          pagesReadableIn = space.key;
          break;
        }
      }
      return {
        siteUrl: cfg.siteUrl,
        apiUrl: site.apiUrl,
        account,
        spacesSeen: listed.length,
        pagesReadableIn,
      };
    } finally {
      await site.close();
    }
  } catch (err) {
    throw explainFailure(err, cfg);
  }
}
