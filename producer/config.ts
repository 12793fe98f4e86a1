// The producer's configuration, read and validated once: which Confluence site, with which account,
// under which source id, how hard to pull. The API token comes from the environment or a file, never argv.
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env, type ServicesConfig } from '../lib/config.ts';
import { ConfigError } from '../lib/errors.ts';
import { COMPRESSIONS, DEFAULT_COMPRESSION, type Compression } from '../lib/kafka.ts';
import { readSecret, registerBasicAuth } from '../lib/secrets.ts';
import { defaultRetryPolicy, type RetryPolicy } from './retry.ts';

export interface ProducerConfig {
  /** Site root (no /wiki): `https://<domain>` or CONFLUENCE_BASE_URL. */
  siteUrl: string;
  email: string;
  /** The ready-made Basic authorization header; the token itself is not kept. */
  authorization: string;
  sourceId: string;
  /** Spaces pulled at once, and pooled HTTP connections to Confluence. */
  concurrency: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  /** zstd (default), gzip or none: bench/README.md#compression has the measurement behind the default. */
  compression: Compression;
  services: ServicesConfig;
}

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

/** A valid CONFLUENCE_DOMAIN is a bare host name; anything else gets the corrected value in the message. */
const domainVar = z
  .string()
  .transform((s) => s.toLowerCase())
  .superRefine((value, ctx) => {
    if (HOST.test(value)) return;
    const fix = suggestDomain(value);
    ctx.addIssue({
      code: 'custom',
      message:
        `must be the full host name of your site (the host in its address), without scheme, path, port or spaces` +
        (HOST.test(fix) ? ` — use CONFLUENCE_DOMAIN=${fix}` : ', e.g. yourcompany.atlassian.net'),
    });
  });

/** `acme.atlassian.net` → `acme-atlassian-net`: lowercase [a-z0-9-], usable inside an ES index name. */
export function sourceIdOf(hostAndPort: string): string {
  return hostAndPort
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

const shape = {
  CONFLUENCE_DOMAIN: domainVar.optional(),
  CONFLUENCE_BASE_URL: vars
    .url('http://127.0.0.1:4100')
    .transform((u) => u.replace(/\/wiki$/, ''))
    .optional(),
  CONFLUENCE_EMAIL: z
    .string()
    .email({ message: 'must be the Atlassian account email, e.g. me@example.com' })
    .optional(),
  SOURCE_ID: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]*$/, {
      message: 'must be lowercase letters, digits and -, e.g. acme-atlassian-net',
    })
    .optional(),
  PRODUCER_CONCURRENCY: vars.int(1, 64, 4).default(4),
  PRODUCER_REQUEST_TIMEOUT_S: vars.int(1, 600, 60).default(60),
  PRODUCER_MAX_RETRIES: vars.int(0, 50, 6).default(6),
  PRODUCER_RETRY_AFTER_CAP_S: vars.int(1, 3600, 60).default(60),
  PRODUCER_COMPRESSION: z
    .enum(COMPRESSIONS, { message: `must be one of ${COMPRESSIONS.join(', ')}` })
    .default(DEFAULT_COMPRESSION),
};

function readToken(env: Env): string {
  const token = readSecret(env, 'CONFLUENCE_API_TOKEN');
  if (token) return token;
  throw new ConfigError(
    'CONFLUENCE_API_TOKEN (not set): the Confluence API token is required',
    'Create a token at https://id.atlassian.com/manage-profile/security/api-tokens and set CONFLUENCE_API_TOKEN, or CONFLUENCE_API_TOKEN_FILE to a file holding it. Never pass it on the command line.',
  );
}

export function producerConfig(env: Env = process.env): ProducerConfig {
  const c = readConfig(shape, env);
  const missing: string[] = [];
  if (!c.CONFLUENCE_DOMAIN && !c.CONFLUENCE_BASE_URL) {
    missing.push('  CONFLUENCE_DOMAIN (not set): your site host name, e.g. yourcompany.atlassian.net');
  }
  if (!c.CONFLUENCE_EMAIL) {
    missing.push('  CONFLUENCE_EMAIL (not set): the Atlassian account email the API token belongs to');
  }
  if (missing.length > 0 && !env.CONFLUENCE_API_TOKEN?.trim() && !env.CONFLUENCE_API_TOKEN_FILE?.trim()) {
    missing.push(
      '  CONFLUENCE_API_TOKEN or CONFLUENCE_API_TOKEN_FILE (not set): the API token, or a file holding it',
    );
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `Configuration is not valid:\n${missing.join('\n')}`,
      'Set the variables above in the environment (see producer/README.md).',
    );
  }
  const siteUrl = c.CONFLUENCE_BASE_URL ?? `https://${c.CONFLUENCE_DOMAIN}`;
  const email = c.CONFLUENCE_EMAIL!;
  const token = readToken(env);
  return {
    siteUrl,
    email,
    authorization: registerBasicAuth(email, token),
    sourceId: c.SOURCE_ID ?? sourceIdOf(c.CONFLUENCE_DOMAIN ?? new URL(siteUrl).host),
    concurrency: c.PRODUCER_CONCURRENCY,
    requestTimeoutMs: c.PRODUCER_REQUEST_TIMEOUT_S * 1000,
    retry: {
      ...defaultRetryPolicy,
      maxRetries: c.PRODUCER_MAX_RETRIES,
      retryAfterCapMs: c.PRODUCER_RETRY_AFTER_CAP_S * 1000,
    },
    compression: c.PRODUCER_COMPRESSION,
    services: servicesConfig(env),
  };
}

/** `90s`, `30m`, `4h`, `1d` → milliseconds (for `run --every`). */
export function parseEvery(text: string): number {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  const n = m ? Number(m[1]) : 0;
  if (!m || n <= 0) {
    throw new ConfigError(
      `--every ${JSON.stringify(text)} is not a duration`,
      'Use a number and a unit: 90s, 30m, 4h or 1d.',
    );
  }
  return n * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}
