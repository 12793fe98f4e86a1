// `producer check`: proves the credentials can read Confluence (a space listing, then a page listing)
// and turns each way it can fail into something a person can act on.
import { ExitCode, UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import type { ProducerConfig } from './config.ts';
import { createConfluenceClient, explainFailure } from './confluence-client.ts';

/** Spaces asked for: one listing page is proof enough; a full page means there are probably more. */
export const SPACES_LISTED = 25;

export interface CheckResult {
  siteUrl: string;
  email: string;
  /** Spaces on the first listing page (up to SPACES_LISTED). */
  spacesSeen: number;
  /** A space whose pages were readable, when one had any. */
  pagesReadableIn: string | null;
}

export async function checkAccess(cfg: ProducerConfig, log: Logger): Promise<CheckResult> {
  const client = createConfluenceClient({
    siteUrl: cfg.siteUrl,
    authorization: cfg.authorization,
    connections: 1,
    requestTimeoutMs: cfg.requestTimeoutMs,
    retry: { ...cfg.retry, maxRetries: Math.min(cfg.retry.maxRetries, 2) },
    log,
  });
  try {
    const { body } = await client.getJson(`/wiki/api/v2/spaces?limit=${SPACES_LISTED}`);
    const listed = (body as { results?: { id: string; key: string }[] }).results ?? [];
    if (listed.length === 0) {
      throw new UserError(`${cfg.email} signed in to ${cfg.siteUrl} but can read no Confluence space`, {
        exitCode: ExitCode.auth,
        hint: 'Give the account view permission on the spaces to sync (Space settings → Permissions), or use an account that has it.',
      });
    }
    let pagesReadableIn: string | null = null;
    for (const space of listed.slice(0, 5)) {
      const pages = await client.getJson(`/wiki/api/v2/spaces/${space.id}/pages?limit=1&status=current`);
      if (((pages.body as { results?: unknown[] }).results ?? []).length > 0) {
        pagesReadableIn = space.key;
        break;
      }
    }
    return { siteUrl: cfg.siteUrl, email: cfg.email, spacesSeen: listed.length, pagesReadableIn };
  } catch (err) {
    throw explainFailure(err, cfg);
  } finally {
    await client.close();
  }
}
