// A source: one connected Confluence site. What an admin sends (SourceInput), what the sources topic
// holds (SourceRecord: the token sealed), and what the API shows (SourceView: no token at all).
// The topic's records are JSON checked by these schemas: unknown fields are kept (z.looseObject), so
// an instance that reads a record written by a newer one (a new deployment kind, a visibility override)
// and rewrites it (pause, schedule change) does not drop what it does not know.
import { z } from 'zod';
import { formatDuration, parseDuration } from '../lib/duration.ts';
import { domainSchema, siteUrlOf as producerSiteUrl } from '../producer/config.ts';
import { defaultSourceId } from '../schemas/source-id.ts';
import { DEPLOYMENT_KINDS } from '../producer/deployment.ts';
import type { SpaceScope } from '../producer/scope.ts';
import type { SealedToken } from './secret-box.ts';

export const RECORD_VERSION = 1;

const sourceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, {
  message: 'must be lowercase letters, digits and -, e.g. acme-atlassian-net',
});

const spaceKey = z.string().min(1).max(255);

export const scheduleInput = z
  .object({
    every: z
      .string()
      .refine((t) => parseDuration(t) !== undefined, { message: 'must be a duration like 4h, 30m or 1d' })
      .optional()
      .describe('How often the site is pulled again, e.g. 4h (default: the service default, 4h)'),
    paused: z.boolean().optional().describe('true: no scheduled pulls (run now still works)'),
  })
  .strict();

export const scopeInput = z
  .object({
    include: z
      .array(spaceKey)
      .max(10_000)
      .optional()
      .describe('Space keys to pull; empty or absent: every space'),
    exclude: z.array(spaceKey).max(10_000).optional().describe('Space keys never pulled'),
    archived: z.boolean().optional().describe('Pull archived spaces too (default true)'),
  })
  .strict();

/**
 * How the site is reached (producer/deployment.ts): Cloud with a classic token (the default), Cloud
 * through Atlassian's gateway with a scoped token, or Data Center with a personal access token.
 */
export const deploymentSchema = z
  .object({
    kind: z
      .enum(DEPLOYMENT_KINDS)
      .describe('cloud (classic API token), cloud-scoped (scoped token, via the gateway) or data-center'),
    cloudId: z
      .string()
      .regex(/^[A-Za-z0-9-]{8,64}$/, {
        message: "must be the site's cloud id (from https://<site>/_edge/tenant_info)",
      })
      .optional()
      .describe('cloud-scoped: the cloud id (default: discovered from the site)'),
  })
  .strict()
  .refine((d) => d.cloudId === undefined || d.kind === 'cloud-scoped', {
    message: 'a cloud id is only for kind cloud-scoped (the gateway routes scoped tokens by it)',
    path: ['cloudId'],
  });
export type Deployment = z.infer<typeof deploymentSchema>;

const credentials = {
  email: z
    .string()
    .max(320)
    .describe('The Atlassian account email (Cloud); on Data Center the username, or ""'),
  token: z.string().min(8, { message: 'must be the API token (at least 8 characters)' }).max(4096),
};
const site = {
  domain: domainSchema((fix) => `"domain": "${fix}"`)
    .optional()
    .describe('The site host, e.g. yourcompany.atlassian.net (no https://, no path)'),
  baseUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL, e.g. http://127.0.0.1:4100' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional()
    .describe('Instead of domain: the site root (Data Center: with its context path), e.g. a simulator'),
};

export const sourceInput = z
  .object({
    id: sourceId.optional().describe('Default: from the domain, e.g. acme-atlassian-net'),
    ...site,
    ...credentials,
    schedule: scheduleInput.optional(),
    scope: scopeInput.optional(),
    deployment: deploymentSchema.optional(),
  })
  .strict()
  .refine((s) => (s.domain === undefined) !== (s.baseUrl === undefined), {
    message: 'give exactly one of domain (e.g. yourcompany.atlassian.net) or baseUrl',
    path: ['domain'],
  })
  .refine((s) => s.deployment?.kind === 'data-center' || EMAIL.test(s.email), {
    message: 'must be the Atlassian account email the token belongs to, e.g. me@example.com',
    path: ['email'],
  });
export type SourceInput = z.infer<typeof sourceInput>;

/** A change: any of these; new credentials (email, token, domain or baseUrl) are checked before saving. */
export const sourceChange = z
  .object({
    ...site,
    email: credentials.email.optional(),
    token: credentials.token.optional(),
    schedule: scheduleInput.optional(),
    scope: scopeInput.optional(),
    deployment: deploymentSchema.optional(),
  })
  .strict()
  .refine((s) => s.domain === undefined || s.baseUrl === undefined, {
    message: 'give domain or baseUrl, not both',
    path: ['domain'],
  });
export type SourceChange = z.infer<typeof sourceChange>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const sealedToken = z.object({
  alg: z.literal('A256GCM'),
  keyId: z.string(),
  iv: z.string(),
  tag: z.string(),
  data: z.string(),
}) satisfies z.ZodType<SealedToken>;

const scopeStored = z.object({
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  archived: z.boolean(),
}) satisfies z.ZodType<SpaceScope>;

export const sourceRecord = z.looseObject({
  v: z.literal(RECORD_VERSION),
  id: sourceId,
  domain: z.string().nullable(),
  baseUrl: z.string().nullable(),
  /** The site root every request goes to: `https://<domain>` or baseUrl. */
  siteUrl: z.string(),
  email: z.string(),
  token: sealedToken,
  schedule: z.object({ everyMs: z.number().int().positive(), paused: z.boolean() }),
  scope: scopeStored,
  deployment: deploymentSchema,
  createdAt: z.number(),
  updatedAt: z.number(),
  /** "Run now": served by the first pull that starts after it. */
  runRequestedAt: z.number().nullable(),
  /** That run fetches every body (a full run) instead of refreshing what changed. */
  fullRequested: z.boolean().optional(),
});
export type SourceRecord = z.infer<typeof sourceRecord>;

/** The id a new source gets: the one given, else derived from its site as the producer derives SOURCE_ID. */
export function idOf(input: Pick<SourceInput, 'id' | 'domain' | 'baseUrl' | 'deployment'>): string {
  const deployment = input.deployment ?? { kind: 'cloud' as const };
  return (
    input.id ?? defaultSourceId(deployment.kind, input.domain ?? undefined, siteUrlOf(input, deployment))
  );
}

export function siteUrlOf(
  s: { domain?: string | null; baseUrl?: string | null },
  deployment: Deployment,
): string {
  return producerSiteUrl(deployment.kind, s.domain ?? undefined, s.baseUrl ?? undefined);
}

export function scopeOf(input: z.infer<typeof scopeInput> | undefined, base?: SpaceScope): SpaceScope {
  return {
    include: input?.include ?? base?.include ?? [],
    exclude: input?.exclude ?? base?.exclude ?? [],
    archived: input?.archived ?? base?.archived ?? true,
  };
}

export function scheduleOf(
  input: z.infer<typeof scheduleInput> | undefined,
  base: { everyMs: number; paused: boolean },
): { everyMs: number; paused: boolean } {
  return {
    everyMs: input?.every === undefined ? base.everyMs : parseDuration(input.every)!,
    paused: input?.paused ?? base.paused,
  };
}

/** What the API shows of a record: everything but the token, of which only its presence. */
export function viewOf(r: SourceRecord) {
  return {
    id: r.id,
    domain: r.domain,
    baseUrl: r.baseUrl,
    siteUrl: r.siteUrl,
    email: r.email,
    schedule: { every: formatDuration(r.schedule.everyMs), paused: r.schedule.paused },
    scope: r.scope,
    deployment: r.deployment,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    runRequestedAt: r.runRequestedAt,
    tokenStored: true as const,
  };
}
export type SourceView = ReturnType<typeof viewOf>;

/** Parses a sources-topic value; undefined for a record that is not ours (counted and skipped by the caller). */
export function parseRecord(json: unknown): SourceRecord | undefined {
  const r = sourceRecord.safeParse(json);
  return r.success ? r.data : undefined;
}
