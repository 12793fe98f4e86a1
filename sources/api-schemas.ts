// The API's request and response shapes (zod): fastify validates requests and serializes responses
// with them, and the OpenAPI document is generated from them, so the three never disagree.
import { z } from 'zod';
import { RUN_STATUSES } from '../indexer/completion.ts';
import { deploymentSchema } from './record.ts';
import { lastRun, runningPull } from './status.ts';

export const problem = z
  .object({ error: z.string(), hint: z.string().optional() })
  .describe('What went wrong, and what to do about it');

export const sourceParams = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'must be a source id, e.g. acme-atlassian-net' }),
});

const scope = z.object({ include: z.array(z.string()), exclude: z.array(z.string()), archived: z.boolean() });

export const sourceView = z
  .looseObject({
    id: z.string(),
    domain: z.string().nullable(),
    baseUrl: z.string().nullable(),
    siteUrl: z.string(),
    email: z.string(),
    schedule: z.object({ every: z.string(), paused: z.boolean() }),
    scope,
    deployment: deploymentSchema,
    createdAt: z.number(),
    updatedAt: z.number(),
    runRequestedAt: z.number().nullable(),
    tokenStored: z.literal(true).describe('The token is stored encrypted; it is never returned'),
  })
  .describe('A connected site (the token is never shown)');

export const statusView = z.object({
  running: runningPull.nullable().describe('The pull running now, updated every few seconds'),
  lastRun: lastRun.nullable().describe('How the last pull ended (the pull itself; going live is in runs)'),
  nextRunAt: z.number().nullable().describe('When the next pull is due (null: paused, or running now)'),
  owner: z.string().nullable().describe('The instance that last reported on this source'),
});

const when = z.number().nullable().optional();
export const runRow = z
  .object({
    kind: z.literal('run'),
    runId: z.string(),
    sourceId: z.string(),
    index: z.string(),
    replayOf: z.string().nullable(),
    baseRunId: z
      .string()
      .nullable()
      .optional()
      .describe('A refresh: the live run it applied its changes to; null for a full run'),
    status: z.enum(RUN_STATUSES),
    reason: z.string().nullable(),
    firstSeenAt: z.number(),
    startedAt: when,
    endedAt: when,
    completedAt: when,
    decidedAt: when,
    flippedAt: when,
    docs: when.describe('Distinct pages in the run index'),
    failures: when.describe('Pages the run could not deliver (conversion failures)'),
    pagesTotal: when.describe('Pages the producer emitted'),
    liveDocs: when,
    lastActivityAt: when,
    deleteAfter: when,
    deletedAt: when,
    live: z.boolean().describe('The alias points at this run now'),
    flipMs: z.number().nullable().optional(),
    pages: z
      .object({ public: z.number(), internal: z.number(), total: z.number() })
      .nullable()
      .optional()
      .describe("The run's pages by visibility, while its index is kept"),
  })
  .describe('A run as the indexer recorded it');

export const liveIndex = z
  .object({
    runId: z.string().nullable(),
    index: z.string(),
    pages: z.object({ public: z.number(), internal: z.number(), total: z.number() }),
    wentLiveAt: z.number().nullable(),
  })
  .nullable()
  .describe('What the AI searches now; null before a first run went live');

export const sourceDetail = sourceView.extend({
  status: statusView,
  live: liveIndex,
  runs: z.array(runRow),
});

export const sourceSummary = sourceView.extend({
  status: statusView,
  live: liveIndex,
  latestRun: runRow.nullable().describe('The newest run the indexer recorded (held, failed, live...)'),
});

export const spacesAnswer = z.object({
  spaces: z.array(
    z.object({ id: z.string(), key: z.string(), name: z.string(), type: z.string(), status: z.string() }),
  ),
});

export const searchQuery = z.object({
  q: z.string().min(1).max(1000).describe('The question or keywords'),
  audience: z.enum(['customer', 'agent']).describe('customer: public pages only; agent: internal and public'),
  size: z.coerce.number().int().min(1).max(50).default(10),
});

export const searchAnswer = z.object({
  source: z.string(),
  alias: z.string(),
  audience: z.enum(['customer', 'agent']),
  q: z.string(),
  results: z.array(
    z.object({
      pageId: z.string(),
      title: z.string(),
      url: z.string(),
      visibility: z.enum(['public', 'internal']),
      score: z.number(),
      snippet: z.string(),
    }),
  ),
});

export const created = sourceView.extend({
  check: z.object({
    spacesSeen: z.number(),
    pagesReadableIn: z.string().nullable(),
  }),
});

export const removed = z.object({
  sourceId: z.string(),
  alias: z.string(),
  indices: z.array(z.string()).describe('Run indices deleted (the alias went with them)'),
  latestPages: z.number().describe('Pages removed from the latest-pages topic (tombstoned)'),
  record: z.boolean(),
  token: z.boolean(),
});

/** Optional: a request without a body (as before this field existed) asks for a refresh. */
export const runNowBody = z
  .object({
    full: z
      .boolean()
      .default(false)
      .describe('Fetch every page body instead of refreshing only what changed (a full run)'),
  })
  .nullish();

export const runNowAnswer = z.object({
  sourceId: z.string(),
  requestedAt: z.number(),
  full: z.boolean(),
  message: z.string(),
});

export const pagesQuery = z.object({
  q: z.string().max(1000).optional().describe('Search text (title and body)'),
  visibility: z.enum(['public', 'internal']).optional(),
  space: z.string().max(255).optional().describe('Only this space key'),
  from: z.coerce.number().int().min(0).max(10_000).default(0),
  size: z.coerce.number().int().min(1).max(100).default(25),
});

export const pagesAnswer = z.object({
  total: z.number(),
  from: z.number(),
  size: z.number(),
  pages: z.array(
    z.object({
      pageId: z.string(),
      title: z.string(),
      spaceKey: z.string(),
      spaceName: z.string(),
      visibility: z.enum(['public', 'internal']),
      url: z.string(),
      updatedAt: z.string().nullable(),
    }),
  ),
});

export const traceAnswer = z.object({
  pageId: z.string(),
  runId: z.string(),
  steps: z.array(z.object({ where: z.string(), found: z.boolean(), detail: z.string() })),
});
