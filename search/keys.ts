// Who may search what: the API keys of the search endpoint, each bound to one audience and one or more
// sources, read from SEARCH_API_KEYS_FILE (a mounted secret), and a per-key rate limit. Pure rules:
// the HTTP server (server.ts) asks `authenticate` and `authorize` and sends what they say.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../lib/errors.ts';
import { registerSecret } from '../lib/secrets.ts';
import { audiences, type Audience } from './query.ts';

const sourceId = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a source id, e.g. acme-atlassian-net');
const keysFile = z.object({
  keys: z
    .array(
      z.object({
        name: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be letters, digits, . _ or -, e.g. support-bot'),
        key: z.string().min(24, 'must be at least 24 characters (e.g. `openssl rand -base64 32`)'),
        audience: z.enum(audiences, { message: 'must be customer (public pages only) or agent' }),
        sources: z.array(sourceId).min(1, 'must list at least one source id'),
        requestsPerMinute: z.number().int().min(1).max(100_000).optional(),
      }),
    )
    .min(1, 'must hold at least one key'),
});

export interface ApiKey {
  name: string;
  audience: Audience;
  sources: ReadonlySet<string>;
  requestsPerMinute: number;
  /** sha256 of the key: compared in constant time, and the key itself is not kept. */
  digest: Buffer;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** Reads and validates the keys file; every key is registered for scrubbing. */
export function readApiKeys(file: string | undefined, defaultPerMinute: number): ApiKey[] {
  if (!file)
    throw new ConfigError(
      'SEARCH_API_KEYS_FILE (not set): the search endpoint serves pages only to callers with a key',
      'Point SEARCH_API_KEYS_FILE at a JSON file {"keys":[{"name","key","audience","sources"}]} (see docs/search.md#api-keys).',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `SEARCH_API_KEYS_FILE=${JSON.stringify(file)} cannot be read as JSON: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'It must be a readable JSON file (see docs/search.md#api-keys).',
    );
  }
  const result = keysFile.safeParse(parsed);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.') || '(file)'}: ${i.message}`);
    throw new ConfigError(`SEARCH_API_KEYS_FILE=${JSON.stringify(file)} is not valid:\n${lines.join('\n')}`);
  }
  const names = new Set<string>();
  const digests = new Set<string>();
  return result.data.keys.map((k) => {
    registerSecret(k.key);
    const d = digest(k.key);
    if (names.has(k.name)) throw new ConfigError(`SEARCH_API_KEYS_FILE: the name ${k.name} is used twice`);
    if (digests.has(d.toString('hex')))
      throw new ConfigError(`SEARCH_API_KEYS_FILE: key ${k.name} is the same key as another one`);
    names.add(k.name);
    digests.add(d.toString('hex'));
    return {
      name: k.name,
      audience: k.audience,
      sources: new Set(k.sources),
      requestsPerMinute: k.requestsPerMinute ?? defaultPerMinute,
      digest: d,
    };
  });
}

export type Denial = { status: 401 | 403; error: string; hint: string };

/** The key an `Authorization: Bearer <key>` header names, or why there is none (401). */
export function authenticate(keys: ApiKey[], authorization: string | undefined): ApiKey | Denial {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m)
    return {
      status: 401,
      error: authorization ? 'the Authorization header is not "Bearer <API key>"' : 'an API key is required',
      hint: 'Send the key you were given as the header Authorization: Bearer <API key>.',
    };
  const given = digest(m[1]!);
  const key = keys.find((k) => timingSafeEqual(k.digest, given));
  return (
    key ?? {
      status: 401,
      error: 'unknown API key',
      hint: 'Check the key; a key removed from the server’s key file no longer works.',
    }
  );
}

/**
 * What a key may search: one of its sources, for an audience it covers. An agent key may ask for the
 * customer audience (less); a customer key can never ask for agent (more). The audience is still asked
 * for on every request (never taken from the key): an agent key's caller must say whom it answers.
 */
export function authorize(key: ApiKey, source: string, audience: Audience): Denial | undefined {
  if (!key.sources.has(source))
    return {
      status: 403,
      error: `key ${key.name} may not search source ${source}`,
      hint: `This key may search: ${[...key.sources].join(', ')}.`,
    };
  if (audience === 'agent' && key.audience === 'customer')
    return {
      status: 403,
      error: `key ${key.name} is bound to the customer audience (public pages only): it cannot ask for agent`,
      hint: 'Ask for audience=customer; answers for support agents need an agent key.',
    };
  return undefined;
}

/** A token bucket per key: `requestsPerMinute` sustained, as a burst too. Returns seconds to wait, or 0. */
export function rateLimiter(now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (key: ApiKey): number => {
    const t = now();
    const perMs = key.requestsPerMinute / 60_000;
    const b = buckets.get(key.name) ?? { tokens: key.requestsPerMinute, at: t };
    b.tokens = Math.min(key.requestsPerMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    buckets.set(key.name, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / perMs / 1000);
  };
}
