// A Confluence failure turned into what happened and what to do, with the exit code scripts can test.
// The hints depend on how the site is reached (classic token, scoped token, Data Center PAT).
import { ExitCode, UserError } from '../lib/errors.ts';
import type { ProducerConfig } from './config.ts';
import { ConfluenceError } from './confluence-client.ts';
import { REQUIRED_SCOPES, scopeFor, TENANT_INFO } from './deployment.ts';

const TOKEN_PAGE = 'https://id.atlassian.com/manage-profile/security/api-tokens';
const PAT_PAGE = 'your avatar → Settings → Personal Access Tokens';

type Site = Pick<ProducerConfig, 'deployment' | 'siteUrl' | 'email'>;

function newToken(site: Site): string {
  if (site.deployment === 'data-center') return `Create a new personal access token (${PAT_PAGE}).`;
  const kind = site.deployment === 'cloud-scoped' ? 'scoped API token' : 'API token';
  return `Create a new ${kind} for ${site.email} at ${TOKEN_PAGE}.`;
}

export function explainFailure(err: unknown, site: Site): UserError {
  if (!(err instanceof ConfluenceError)) {
    return err instanceof UserError
      ? err
      : new UserError((err as Error).message ?? String(err), { cause: err });
  }
  const host = new URL(site.siteUrl).host;
  const who = site.deployment === 'data-center' ? 'the personal access token' : site.email;
  const fail = (message: string, exitCode: ExitCode, hint: string) =>
    new UserError(message, { exitCode, hint, cause: err });
  switch (err.kind) {
    case 'dns':
      return fail(
        `The Confluence site ${host} does not exist: its name does not resolve (${err.message})`,
        ExitCode.network,
        'Check CONFLUENCE_DOMAIN (the host in your Confluence address, e.g. yourcompany.atlassian.net) or CONFLUENCE_BASE_URL. If it is right, check DNS, HTTPS_PROXY and network access from this machine.',
      );
    case 'network':
      return fail(
        `Cannot reach Confluence at ${site.siteUrl}: ${err.message}`,
        ExitCode.network,
        'Check network access to the site: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (the proxy this process uses), firewall; then try again.',
      );
    case 'not-confluence':
      if (err.path === TENANT_INFO) {
        return fail(
          `${site.siteUrl} did not tell its cloud id: ${err.message}`,
          ExitCode.config,
          'A scoped token needs the cloud id of an Atlassian Cloud site: check CONFLUENCE_DOMAIN (yourcompany.atlassian.net), or set CONFLUENCE_CLOUD_ID (admin.atlassian.com → the site → the id after /s/ in the address).',
        );
      }
      return fail(
        `${site.siteUrl} does not look like a Confluence site: ${err.message}`,
        ExitCode.config,
        site.deployment === 'data-center'
          ? 'Check CONFLUENCE_BASE_URL: the address people open Confluence at, with its context path if it has one (e.g. https://wiki.corp.example/confluence).'
          : 'Check CONFLUENCE_DOMAIN (e.g. yourcompany.atlassian.net, the site where Confluence lives) or CONFLUENCE_BASE_URL.',
      );
    case 'not-found':
      return fail(
        `No Confluence REST API at this URL: ${err.message}`,
        ExitCode.config,
        site.deployment === 'data-center'
          ? `Check CONFLUENCE_BASE_URL (${site.siteUrl}): the Data Center base URL, including its context path such as /confluence when it has one.`
          : `Check CONFLUENCE_BASE_URL / CONFLUENCE_DOMAIN (${site.siteUrl}): the site root, e.g. https://yourcompany.atlassian.net, without any path.`,
      );
    case 'scope': {
      const needed = scopeFor(err.path);
      const all = REQUIRED_SCOPES.map((s) => s.scope).join(', ');
      return fail(
        `The scoped API token of ${site.email} lacks ${needed ? `the scope ${needed.scope} (for ${needed.what})` : 'a scope this request needs'}: ${err.message}`,
        ExitCode.auth,
        `Create a scoped token at ${TOKEN_PAGE} with the scopes ${all} (Confluence app), or use a classic token with CONFLUENCE_DEPLOYMENT=cloud.`,
      );
    }
    case 'unauthorized':
      return fail(
        `Confluence at ${host} rejected the credentials of ${who} (401)`,
        ExitCode.auth,
        site.deployment === 'data-center'
          ? `The personal access token is wrong, revoked or expired. ${newToken(site)}`
          : `The API token is wrong, revoked or expired, or belongs to another account than CONFLUENCE_EMAIL. ${newToken(site)}` +
              (site.deployment === 'cloud'
                ? ' A scoped API token works only through the gateway: set CONFLUENCE_DEPLOYMENT=cloud-scoped.'
                : ''),
      );
    case 'forbidden':
      return fail(
        `Confluence at ${host} refused ${who} (403): ${err.message}`,
        ExitCode.auth,
        `Either the token is wrong (some sites answer a wrong token with 403, not 401) — ${newToken(site)} — ` +
          'or the account has no Confluence access: ask a site admin to give it product access (Cloud: admin.atlassian.com → Users; Data Center: the confluence-users group), or use an account that has it.',
      );
    default:
      return fail(
        `Confluence at ${host} kept failing: ${err.message}`,
        ExitCode.network,
        'Confluence or the network is having trouble; try again later. Retries and waits are tuned with PRODUCER_MAX_RETRIES and PRODUCER_RETRY_AFTER_CAP_S.',
      );
  }
}
