// One Confluence site, reached the way its deployment needs: the client for that kind (API root,
// authorization, REST generation) behind the one ConfluenceSource interface check and run use.
//   cloud         https://<site>/wiki/api/v2/…          Basic email:classic-token
//   cloud-scoped  https://api.atlassian.com/ex/confluence/<cloudId>/wiki/api/v2/…   Basic email:scoped-token
//   data-center   https://<host>[/<context>]/rest/api/…  Bearer personal-access-token
// Page URLs always hang off the customer's site, never the gateway.
import type { Logger } from '../lib/log.ts';
import type { ProducerConfig } from './config.ts';
import {
  ConfluenceError,
  createConfluenceClient,
  type ConfluenceClient,
  type ConfluenceStats,
} from './confluence-client.ts';
import { createConfluenceSource, type ConfluenceSource } from './confluence-source.ts';
import { createDataCenterSource } from './data-center-source.ts';
import { gatewayApiUrl, TENANT_INFO } from './deployment.ts';
import { verifyAccount, type Account } from './identity.ts';
import type { RetryPolicy } from './retry.ts';

export interface ConfluenceSite extends ConfluenceSource {
  /** Where requests go: the site, the gateway root of its cloud id, or the Data Center base URL. */
  readonly apiUrl: string;
  readonly stats: ConfluenceStats;
  /** The client, for what the site is asked besides spaces and pages (restrictions, users). */
  readonly client: ConfluenceClient;
  /** Where REST v1 lives under `apiUrl`: `/wiki/rest/api` on Cloud (also through the gateway), `/rest/api` on Data Center. */
  readonly v1Root: string;
  /** The signed-in account, refused (UserError) when it is anonymous or not the one configured. */
  verifyIdentity(signal?: AbortSignal): Promise<Account>;
  close(): Promise<void>;
}

export interface SiteOptions {
  connections: number;
  retry: RetryPolicy;
  log: Logger;
  signal?: AbortSignal;
}

function clientOptions(cfg: ProducerConfig, opts: SiteOptions) {
  return {
    proxy: cfg.proxy,
    connections: opts.connections,
    requestTimeoutMs: cfg.requestTimeoutMs,
    retry: opts.retry,
    log: opts.log,
  };
}

/**
 * The site's cloud id, from `https://<site>/_edge/tenant_info` (`{"cloudId":"…"}`, no authentication:
 * Atlassian KB "Retrieve my Atlassian site's Cloud ID"). Sent without the token: it is not the gateway.
 */
async function discoverCloudId(cfg: ProducerConfig, opts: SiteOptions): Promise<string> {
  const path = TENANT_INFO;
  const site = createConfluenceClient({
    ...clientOptions(cfg, { ...opts, connections: 1 }),
    apiUrl: new URL(cfg.siteUrl).origin,
    authorization: undefined,
  });
  try {
    const { body } = await site.getJson(path, opts.signal);
    const cloudId = (body as { cloudId?: unknown } | null)?.cloudId;
    if (typeof cloudId !== 'string' || cloudId === '') {
      throw new ConfluenceError('not-confluence', path, `GET ${path} answered without a cloudId`);
    }
    return cloudId;
  } finally {
    await site.close();
  }
}

async function apiUrlOf(cfg: ProducerConfig, opts: SiteOptions): Promise<string> {
  if (cfg.deployment !== 'cloud-scoped') return cfg.siteUrl;
  return gatewayApiUrl(cfg.gatewayUrl, cfg.cloudId ?? (await discoverCloudId(cfg, opts)));
}

export async function openSite(cfg: ProducerConfig, opts: SiteOptions): Promise<ConfluenceSite> {
  const apiUrl = await apiUrlOf(cfg, opts);
  const client = createConfluenceClient({
    ...clientOptions(cfg, opts),
    apiUrl,
    authorization: cfg.authorization,
  });
  const source =
    cfg.deployment === 'data-center'
      ? createDataCenterSource(client, { pageBase: cfg.siteUrl })
      : createConfluenceSource(client, { pageBase: `${cfg.siteUrl}/wiki` });
  return {
    ...source,
    apiUrl,
    stats: client.stats,
    client,
    v1Root: cfg.deployment === 'data-center' ? '/rest/api' : '/wiki/rest/api',
    verifyIdentity: async (signal) => verifyAccount(await source.currentUser(signal), cfg),
    close: () => client.close(),
  };
}
