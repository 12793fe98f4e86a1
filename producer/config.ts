// The producer's configuration, read and validated once: which Confluence site, with which account,
// under which source id, how hard to pull. The API token comes from the environment or a file, never argv.
import { z } from 'zod';
import { parseDuration } from '../lib/duration.ts';
import { readConfig, servicesConfig, vars, type Env, type ServicesConfig } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';
import { COMPRESSIONS, DEFAULT_COMPRESSION, type Compression } from '../lib/kafka.ts';
import { readSecret, registerBasicAuth, registerBearerAuth, registerSecret } from '../lib/secrets.ts';
import { DEPLOYMENT_KINDS, type DeploymentKind } from './deployment.ts';
import { defaultSourceId } from '../schemas/source-id.ts';
import { DEFAULT_POLICY, type Visibility, type VisibilityPolicy } from '../schemas/index.ts';
import type { UnreadableRestrictions } from './restrictions.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';
import { everySpace, type SpaceScope } from './scope.ts';

/** Where Confluence requests go through: undici's EnvHttpProxyAgent takes these as they are. */
export interface ProxyConfig {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** How hard to pull, through which proxy, and where to write: the same for every site a process pulls. */
export interface ProducerTuning {
  proxy: ProxyConfig;
  /** cloud-scoped: the gateway root, `https://api.atlassian.com` unless CONFLUENCE_GATEWAY_URL says otherwise. */
  gatewayUrl: string;
  /**
   * Requests in flight at most (pooled HTTP connections to Confluence; a quarter of it spaces listed at
   * once), the ceiling the pace (pace.ts) works under. Why 8 by default: docs/operations.md#concurrency.
   */
  concurrency: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  /** zstd (default), gzip or none: bench/README.md#compression has the measurement behind the default. */
  compression: Compression;
  /**
   * PRODUCER_FULL_REFRESH_EVERY: a run fetches every body when the live version's last full run is at
   * least this old; 0: every run is full; null (`never`): age alone never makes a run full.
   */
  fullRefreshEveryMs: number | null;
  services: ServicesConfig;
}

/** One site to pull: from environment variables (`producer run`) or from a source record (sources service). */
export interface ProducerConfig extends ProducerTuning {
  /** How the site is reached: Cloud with a classic token, Cloud through the gateway with a scoped token, Data Center. */
  deployment: DeploymentKind;
  /**
   * The customer's site, as people open it: Cloud `https://<domain>` (no /wiki), Data Center the base
   * URL with its context path (`https://wiki.corp.example/confluence`). Source id and page URLs come from it.
   */
  siteUrl: string;
  /** The account the token belongs to (Cloud); on Data Center the username, when given, or ''. */
  email: string;
  /** The ready-made authorization header (Basic on Cloud, Bearer on Data Center); the token itself is not kept. */
  authorization: string;
  /** cloud-scoped: CONFLUENCE_CLOUD_ID, or undefined to discover it from the site's /_edge/tenant_info. */
  cloudId: string | undefined;
  sourceId: string;
  /** Which spaces the pull reads (default: every space, archived ones too). */
  scope: SpaceScope;
  /** The source's visibility rules (schemas/visibility.ts) and what to do when restrictions are unreadable. */
  visibility: SourceVisibility;
}

export type SourceVisibility = VisibilityPolicy & { unreadable: UnreadableRestrictions };

/** Pages with the label internal-only are internal; a run whose restrictions cannot be read fails. */
export const DEFAULT_VISIBILITY: SourceVisibility = { ...DEFAULT_POLICY, unreadable: 'fail' };

const HOST = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** What the person most likely meant: the bare host of whatever URL-ish text they gave. */
export function suggestDomain(raw: string): string {
  let s = raw.trim().toLowerCase().replace(/\s+/g, '');
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, '');
  s = s
    .replace(/[/?#].*$/, '')
    .replace(/^[^@]*@/, '')
    .replace(/:\d*$/, '')
    .replace(/\.+$/, '');
  if (s !== '' && !s.includes('.')) s = `${s}.atlassian.net`;
  return s;
}

/**
 * A valid domain is a bare host name; anything else gets the corrected value in the message, written
 * the way the caller sets it (`CONFLUENCE_DOMAIN=acme.atlassian.net`, or `"domain": "acme.atlassian.net"`).
 */
export const domainSchema = (useInstead: (fix: string) => string) =>
  z
    .string()
    .transform((s) => s.toLowerCase())
    .superRefine((value, ctx) => {
      if (HOST.test(value)) return;
      const fix = suggestDomain(value);
      ctx.addIssue({
        code: 'custom',
        message:
          `must be the full host name of your site (the host in its address), without scheme, path, port or spaces` +
          (HOST.test(fix) ? ` — use ${useInstead(fix)}` : ', e.g. yourcompany.atlassian.net'),
      });
    });

const domainVar = domainSchema((fix) => `CONFLUENCE_DOMAIN=${fix}`);

const proxyVar = z
  .string()
  .url({
    message:
      'must be the proxy URL, e.g. http://proxy.corp.example:3128 (credentials as http://user:pass@host:port)',
  })
  .refine((u) => /^https?:/i.test(u), { message: 'must be an http:// or https:// proxy URL' })
  .optional();

/** A week: a full re-fetch at least weekly catches anything a fingerprint cannot see (docs/operations.md). */
const FULL_REFRESH_EVERY = '7d';

const tuningShape = {
  CONFLUENCE_GATEWAY_URL: vars.url('https://api.atlassian.com').default('https://api.atlassian.com'),
  HTTPS_PROXY: proxyVar,
  HTTP_PROXY: proxyVar,
  NO_PROXY: z.string().optional(),
  PRODUCER_CONCURRENCY: vars.int(1, 64, 8).default(8),
  PRODUCER_REQUEST_TIMEOUT_S: vars.int(1, 600, 60).default(60),
  PRODUCER_MAX_RETRIES: vars.int(0, 50, 6).default(6),
  PRODUCER_RETRY_AFTER_CAP_S: vars.int(1, 3600, 60).default(60),
  PRODUCER_FULL_REFRESH_EVERY: z
    .string()
    .trim()
    .transform((text, ctx) => {
      if (text === 'never') return null;
      if (text === '0') return 0;
      const ms = parseDuration(text);
      if (ms === undefined)
        ctx.addIssue({
          code: 'custom',
          message: 'must be a duration (90m, 12h, 7d), 0 (every run full) or never',
        });
      return ms ?? 0;
    })
    .prefault(FULL_REFRESH_EVERY),
  PRODUCER_COMPRESSION: z
    .enum(COMPRESSIONS, { message: `must be one of ${COMPRESSIONS.join(', ')}` })
    .default(DEFAULT_COMPRESSION),
};

/** The PRODUCER_* tuning, the proxy, the gateway and the services, validated once. */
export function producerTuning(env: Env = process.env): ProducerTuning {
  const c = readConfig(tuningShape, proxyEnv(env));
  for (const proxy of [c.HTTPS_PROXY, c.HTTP_PROXY]) registerSecret(proxyPassword(proxy));
  return {
    proxy: { httpsProxy: c.HTTPS_PROXY ?? '', httpProxy: c.HTTP_PROXY ?? '', noProxy: c.NO_PROXY ?? '' },
    gatewayUrl: c.CONFLUENCE_GATEWAY_URL,
    concurrency: c.PRODUCER_CONCURRENCY,
    requestTimeoutMs: c.PRODUCER_REQUEST_TIMEOUT_S * 1000,
    retry: {
      ...defaultRetryPolicy,
      maxRetries: c.PRODUCER_MAX_RETRIES,
      retryAfterCapMs: c.PRODUCER_RETRY_AFTER_CAP_S * 1000,
    },
    compression: c.PRODUCER_COMPRESSION,
    fullRefreshEveryMs: c.PRODUCER_FULL_REFRESH_EVERY,
    services: servicesConfig(env),
  };
}

/** One site's access: where, how, as whom. The token is turned into the header and not kept. */
export interface SiteAccess {
  deployment: DeploymentKind;
  siteUrl: string;
  /** The account email (Cloud); the username or '' (Data Center). */
  email: string;
  token: string;
  sourceId: string;
  cloudId?: string | undefined;
  scope?: SpaceScope;
  visibility?: SourceVisibility;
}

/** A site's pull config: the header by deployment (Basic on Cloud, Bearer on Data Center), registered for scrubbing. */
export function siteConfig(tuning: ProducerTuning, site: SiteAccess): ProducerConfig {
  return {
    ...tuning,
    deployment: site.deployment,
    siteUrl: site.siteUrl,
    email: site.email,
    authorization:
      site.deployment === 'data-center'
        ? registerBearerAuth(site.token)
        : registerBasicAuth(site.email, site.token),
    cloudId: site.cloudId,
    sourceId: site.sourceId,
    scope: site.scope ?? everySpace,
    visibility: site.visibility ?? DEFAULT_VISIBILITY,
  };
}

const shape = {
  CONFLUENCE_DEPLOYMENT: z
    .enum(DEPLOYMENT_KINDS, {
      message: `must be one of ${DEPLOYMENT_KINDS.join(', ')} (see producer/README.md#deployments)`,
    })
    .default('cloud'),
  CONFLUENCE_DOMAIN: domainVar.optional(),
  CONFLUENCE_BASE_URL: vars.url('http://127.0.0.1:4100').optional(),
  CONFLUENCE_EMAIL: z
    .string()
    .email({ message: 'must be the Atlassian account email, e.g. me@example.com' })
    .optional(),
  CONFLUENCE_USERNAME: z.string().min(1).optional(),
  CONFLUENCE_CLOUD_ID: z
    .string()
    .regex(/^[A-Za-z0-9-]{8,64}$/, {
      message: "must be the site's cloud id (a UUID, from https://<site>/_edge/tenant_info)",
    })
    .optional(),
  SOURCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, {
      message: 'must be lowercase letters, digits and -, e.g. acme-atlassian-net',
    })
    .optional(),
  VISIBILITY_INTERNAL_LABELS: z
    .string()
    .regex(/^[^\s]*$/, { message: 'must be labels separated by commas, no spaces, e.g. internal-only,hr' })
    .default(DEFAULT_VISIBILITY.internalLabels.join(',')),
  VISIBILITY_SPACE_AUDIENCE: z
    .string()
    .regex(/^([^=,\s]+=(internal|public))?(,[^=,\s]+=(internal|public))*$/, {
      message: 'must be space keys with their audience, e.g. HR=internal,DOCS=public',
    })
    .default(''),
  VISIBILITY_UNREADABLE_RESTRICTIONS: z
    .enum(['fail', 'internal'], {
      message: 'must be fail (the run fails) or internal (such pages are internal)',
    })
    .default(DEFAULT_VISIBILITY.unreadable),
};

/** `HR=internal,DOCS=public` → { HR: 'internal', DOCS: 'public' }. */
function spaceAudience(text: string): Record<string, Visibility> {
  const out: Record<string, Visibility> = {};
  for (const pair of text.split(',').filter(Boolean)) {
    const [key, audience] = pair.split('=') as [string, Visibility];
    out[key] = audience;
  }
  return out;
}

function readToken(env: Env, kind: DeploymentKind): string {
  const token = readSecret(env, 'CONFLUENCE_API_TOKEN');
  if (token) return token;
  if (kind === 'data-center') {
    throw new ConfigError(
      'CONFLUENCE_API_TOKEN (not set): the Data Center personal access token is required',
      'Create one in Confluence (your avatar → Settings → Personal Access Tokens) and set CONFLUENCE_API_TOKEN, or CONFLUENCE_API_TOKEN_FILE to a file holding it. Never pass it on the command line.',
    );
  }
  throw new ConfigError(
    'CONFLUENCE_API_TOKEN (not set): the Confluence API token is required',
    'Create a token at https://id.atlassian.com/manage-profile/security/api-tokens and set CONFLUENCE_API_TOKEN, or CONFLUENCE_API_TOKEN_FILE to a file holding it. Never pass it on the command line.',
  );
}

/** Lowercase first, as curl and undici read them; then the uppercase spelling. */
function proxyEnv(env: Env): Env {
  return {
    ...env,
    HTTPS_PROXY: env.https_proxy ?? env.HTTPS_PROXY,
    HTTP_PROXY: env.http_proxy ?? env.HTTP_PROXY,
    NO_PROXY: env.no_proxy ?? env.NO_PROXY,
  };
}

/** The site as people open it: Cloud drops a trailing /wiki; Data Center keeps its context path, whatever it is. */
export function siteUrlOf(
  kind: DeploymentKind,
  domain: string | undefined,
  baseUrl: string | undefined,
): string {
  if (baseUrl === undefined) return `https://${domain}`;
  return kind === 'data-center' ? baseUrl : baseUrl.replace(/\/wiki$/, '');
}

export function producerConfig(env: Env = process.env): ProducerConfig {
  const c = readConfig(shape, env);
  const kind = c.CONFLUENCE_DEPLOYMENT;
  const dataCenter = kind === 'data-center';
  const missing: string[] = [];
  if (!c.CONFLUENCE_DOMAIN && !c.CONFLUENCE_BASE_URL) {
    missing.push(
      dataCenter
        ? '  CONFLUENCE_BASE_URL (not set): the Data Center base URL with its context path, e.g. https://wiki.corp.example/confluence'
        : '  CONFLUENCE_DOMAIN (not set): your site host name, e.g. yourcompany.atlassian.net',
    );
  }
  if (!c.CONFLUENCE_EMAIL && !dataCenter) {
    missing.push('  CONFLUENCE_EMAIL (not set): the Atlassian account email the API token belongs to');
  }
  if (missing.length > 0 && !env.CONFLUENCE_API_TOKEN?.trim() && !env.CONFLUENCE_API_TOKEN_FILE?.trim()) {
    missing.push(
      dataCenter
        ? '  CONFLUENCE_API_TOKEN or CONFLUENCE_API_TOKEN_FILE (not set): the personal access token, or a file holding it'
        : '  CONFLUENCE_API_TOKEN or CONFLUENCE_API_TOKEN_FILE (not set): the API token, or a file holding it',
    );
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `Configuration is not valid:\n${missing.join('\n')}`,
      'Set the variables above in the environment (see producer/README.md).',
    );
  }
  const siteUrl = siteUrlOf(kind, c.CONFLUENCE_DOMAIN, c.CONFLUENCE_BASE_URL);
  const tuning = producerTuning(env);
  return siteConfig(tuning, {
    deployment: kind,
    siteUrl,
    email: dataCenter ? (c.CONFLUENCE_USERNAME ?? '') : c.CONFLUENCE_EMAIL!,
    token: readToken(env, kind),
    cloudId: c.CONFLUENCE_CLOUD_ID,
    sourceId: c.SOURCE_ID ?? defaultSourceId(kind, c.CONFLUENCE_DOMAIN, siteUrl),
    visibility: {
      internalLabels: c.VISIBILITY_INTERNAL_LABELS.split(',')
        .filter(Boolean)
        .map((l) => l.toLowerCase()),
      spaceAudience: spaceAudience(c.VISIBILITY_SPACE_AUDIENCE),
      unreadable: c.VISIBILITY_UNREADABLE_RESTRICTIONS,
    },
  });
}

/** A proxy URL's password (http://user:pass@host), so that it is scrubbed like a token. */
function proxyPassword(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const password = new URL(url).password;
  return password ? decodeURIComponent(password) : undefined;
}

/** `90s`, `30m`, `4h`, `1d` → milliseconds (for `run --every`). */
export function parseEvery(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) {
    throw new ConfigError(
      `--every ${JSON.stringify(text)} is not a duration`,
      'Use a number and a unit: 90s, 30m, 4h or 1d.',
    );
  }
  return ms;
}
