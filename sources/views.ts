// What the API shows of a source beyond its record: the pull running now (from the status topic,
// whichever instance runs it), the last runs (as the indexer recorded them), the live index's page
// counts by visibility and when it went live, and the pages the AI sees, searchable and paged.
import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { aliasHolders } from '../indexer/alias.ts';
import type { IndexerConfig } from '../indexer/config.ts';
import { listRuns, type RunRow } from '../ops/runs.ts';
import { aliasName } from '../indexer/index-names.ts';
import type { PageDocument } from '../indexer/template.ts';
import type { Visibility } from '../schemas/index.ts';
import { pagesByIndex } from './glance.ts';
import { viewOf, type SourceRecord } from './record.ts';
import { dueAt, scheduleInputOf } from './schedule.ts';
import type { SourceStatus } from './status.ts';

export interface LiveIndex {
  runId: string | null;
  index: string;
  pages: { public: number; internal: number; total: number };
  wentLiveAt: number | null;
}

/** The live alias's index and its pages by visibility; null before a first run went live. */
export async function liveIndex(
  es: Elasticsearch,
  cfg: IndexerConfig,
  sourceId: string,
  runs: RunRow[],
): Promise<LiveIndex | null> {
  const alias = aliasName(cfg.services.indexPrefix, sourceId);
  const [index] = await aliasHolders(es, alias);
  if (!index) return null;
  const res = await es.search({
    index: alias,
    size: 0,
    track_total_hits: true,
    aggs: { visibility: { terms: { field: 'visibility', size: 10 } } },
  });
  const buckets = (res.aggregations?.visibility as estypes.AggregationsStringTermsAggregate | undefined)
    ?.buckets as estypes.AggregationsStringTermsBucket[] | undefined;
  const count = (v: Visibility) => buckets?.find((b) => b.key === v)?.doc_count ?? 0;
  const run = runs.find((r) => r.index === index);
  return {
    runId: run?.runId ?? null,
    index,
    pages: {
      public: count('public'),
      internal: count('internal'),
      total: count('public') + count('internal'),
    },
    wentLiveAt: run?.flippedAt ?? null,
  };
}

/**
 * The status as the API shows it: a running pull whose instance went quiet is not shown as running;
 * the next run is computed here from the same rules the scheduler follows.
 */
export function statusView(
  r: SourceRecord,
  s: SourceStatus | undefined,
  opts: { now: number; staleMs: number; maxJitterMs: number },
) {
  const running = s?.running != null && opts.now - s.at < opts.staleMs ? s.running : null;
  const next = running ? null : dueAt(scheduleInputOf(r, s?.lastStartedAt ?? null, opts.maxJitterMs));
  return {
    running,
    lastRun: s?.lastRun ?? null,
    nextRunAt: next === null ? null : Math.max(next, opts.now),
    owner: s?.instance ?? null,
  };
}

export async function sourceDetail(
  es: Elasticsearch,
  cfg: IndexerConfig,
  record: SourceRecord,
  status: SourceStatus | undefined,
  opts: { now: number; staleMs: number; maxJitterMs: number; runs?: number },
) {
  const runs = await listRuns(es, cfg, { sourceId: record.id, limit: opts.runs ?? 10 });
  const pages = await pagesByIndex(
    es,
    cfg.services.indexPrefix,
    runs.filter((r) => !r.deletedAt).map((r) => r.index),
  );
  return {
    ...viewOf(record),
    status: statusView(record, status, opts),
    live: await liveIndex(es, cfg, record.id, runs),
    runs: runs.map((r) => ({ ...r, pages: pages.get(r.index) ?? null })),
  };
}

export interface PageQuery {
  q?: string | undefined;
  visibility?: Visibility | undefined;
  space?: string | undefined;
  from: number;
  size: number;
}

const pageFields = ['pageId', 'title', 'spaceKey', 'spaceName', 'visibility', 'url', 'updatedAt'] as const;
export type PageRow = Pick<PageDocument, (typeof pageFields)[number]>;

/** The request body, pure: what is filtered and how it is sorted is unit-tested on the query sent. */
export function pagesQuery(q: PageQuery): estypes.SearchRequest {
  const filter: estypes.QueryDslQueryContainer[] = [];
  if (q.visibility) filter.push({ term: { visibility: q.visibility } });
  if (q.space) filter.push({ term: { spaceKey: q.space } });
  const text = q.q?.trim();
  return {
    from: q.from,
    size: q.size,
    track_total_hits: true,
    _source: [...pageFields],
    query: {
      bool: {
        must: text ? [{ multi_match: { query: text, fields: ['title^3', 'text'] } }] : [{ match_all: {} }],
        filter,
      },
    },
    // Best match first when searching; otherwise by title, so pages stay put from one page of results to the next.
    sort: text ? ['_score', { pageId: 'asc' }] : [{ 'title.keyword': 'asc' }, { pageId: 'asc' }],
  };
}

/** The pages the AI sees for a source: the live alias's documents. None before a first run went live. */
export async function listPages(
  es: Elasticsearch,
  cfg: IndexerConfig,
  sourceId: string,
  q: PageQuery,
): Promise<{ total: number; pages: PageRow[] }> {
  const alias = aliasName(cfg.services.indexPrefix, sourceId);
  if ((await aliasHolders(es, alias)).length === 0) return { total: 0, pages: [] };
  const res = await es.search<PageRow>({ index: alias, ...pagesQuery(q) });
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  return { total, pages: res.hits.hits.map((h) => h._source!) };
}
