// What the console shows at a glance, batched so that a list of hundreds of sources costs a few
// Elasticsearch requests, not a few per source: the live index of every source (one alias lookup),
// pages by visibility of many indices (one aggregation), the newest run of every source (one collapse).
import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { RunState } from '../indexer/completion.ts';
import type { IndexerConfig } from '../indexer/config.ts';
import { aliasName, parseRunIndexName, runsIndexName } from '../indexer/index-names.ts';

export interface PageCounts {
  public: number;
  internal: number;
  total: number;
}

type Buckets = estypes.AggregationsStringTermsBucket[];

/** Pages by visibility in each index of `indices` that still exists (deleted versions are left out). */
export async function pagesByIndex(
  es: Elasticsearch,
  prefix: string,
  indices: string[],
): Promise<Map<string, PageCounts>> {
  const counts = new Map<string, PageCounts>();
  if (indices.length === 0) return counts;
  // The names go in the query, not the URL: hundreds of them would pass the HTTP line limit.
  const res = await es.search({
    index: `${prefix}-*`,
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    query: { terms: { _index: indices } },
    aggs: {
      index: {
        terms: { field: '_index', size: indices.length },
        aggs: { visibility: { terms: { field: 'visibility', size: 10 } } },
      },
    },
  });
  for (const b of ((res.aggregations?.index as estypes.AggregationsStringTermsAggregate)?.buckets ??
    []) as Buckets) {
    const by = ((b.visibility as estypes.AggregationsStringTermsAggregate).buckets ?? []) as Buckets;
    const n = (v: string) => by.find((x) => x.key === v)?.doc_count ?? 0;
    counts.set(String(b.key), {
      public: n('public'),
      internal: n('internal'),
      total: n('public') + n('internal'),
    });
  }
  return counts;
}

/** The index each source's alias points at now (sources without a live index are absent). */
async function liveIndices(
  es: Elasticsearch,
  prefix: string,
  sourceIds: string[],
): Promise<Map<string, string>> {
  const wanted = new Map(sourceIds.map((id) => [aliasName(prefix, id), id]));
  const res = await es.indices.getAlias({ name: `${prefix}-*` }, { ignore: [404] });
  const live = new Map<string, string>();
  for (const [index, { aliases }] of Object.entries(
    res as Record<string, { aliases?: Record<string, unknown> }>,
  ))
    for (const alias of Object.keys(aliases ?? {})) {
      const id = wanted.get(alias);
      if (id) live.set(id, index);
    }
  return live;
}

/** The newest run the indexer recorded for each source. */
async function newestRuns(es: Elasticsearch, prefix: string): Promise<Map<string, RunState>> {
  const res = await es.search<RunState>(
    {
      index: runsIndexName(prefix),
      size: 10_000,
      query: { term: { kind: 'run' } },
      sort: [{ runId: 'desc' }],
      collapse: { field: 'sourceId' },
    },
    { ignore: [404] },
  );
  return new Map((res.hits?.hits ?? []).flatMap((h) => (h._source ? [[h._source.sourceId, h._source]] : [])));
}

export interface Glance {
  live: { runId: string; index: string; pages: PageCounts; wentLiveAt: number | null } | null;
  latestRun: (RunState & { live: boolean }) | null;
}

const runIdOf = (prefix: string, index: string) => parseRunIndexName(prefix, index)?.runId ?? index;

/** When each live index went live: its run's flip time (the index name carries the run id, lower-cased). */
async function flipTimes(
  es: Elasticsearch,
  prefix: string,
  live: Map<string, string>,
): Promise<Map<string, number>> {
  const runIds = [...live.values()].map((index) => runIdOf(prefix, index));
  if (runIds.length === 0) return new Map();
  const res = await es.mget<RunState>({ index: runsIndexName(prefix), ids: runIds }, { ignore: [404] });
  const at = new Map<string, number>();
  for (const doc of res.docs ?? [])
    if ('_source' in doc && doc._source?.flippedAt) at.set(doc._source.index, doc._source.flippedAt);
  return at;
}

/** Every source's live pages and newest run, in four requests whatever the number of sources. */
export async function glanceAt(
  es: Elasticsearch,
  cfg: IndexerConfig,
  sourceIds: string[],
): Promise<Map<string, Glance>> {
  const prefix = cfg.services.indexPrefix;
  const [live, newest] = await Promise.all([liveIndices(es, prefix, sourceIds), newestRuns(es, prefix)]);
  const [counts, flipped] = await Promise.all([
    pagesByIndex(es, prefix, [...live.values()]),
    flipTimes(es, prefix, live),
  ]);
  return new Map(
    sourceIds.map((id) => {
      const index = live.get(id);
      const run = newest.get(id);
      return [
        id,
        {
          live: index
            ? {
                runId: runIdOf(prefix, index),
                index,
                pages: counts.get(index) ?? { public: 0, internal: 0, total: 0 },
                wentLiveAt: flipped.get(index) ?? null,
              }
            : null,
          latestRun: run ? { ...run, live: run.index === index } : null,
        },
      ];
    }),
  );
}
