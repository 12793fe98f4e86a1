// Per-run progress, persisted in `<prefix>-runs` so it survives restarts. Three kinds of document, each
// written whole under an id that makes a redelivery a no-op (no scripts: the minimal Elasticsearch has
// no painless, and whole documents need no read-modify-write between partitions):
//   run      `<runId>`                        status, counts, timings, reasons
//   marker   `marker:<runId>:<KIND>:<p>`      a START / END / ABORT seen on partition p
//   failure  `failure:<runId>:<pageId>`       a page the run could not deliver (counted distinct)
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { IndexerEvent, RunMarker } from '../schemas/index.ts';
import type { BulkItem } from './bulk.ts';
import { WENT_LIVE, type RunMarkers, type RunState } from './completion.ts';
import { runIndexName, runsIndexName } from './index-names.ts';
import { ignoreAlreadyExists } from './template.ts';

export type FailureStage = 'convert' | 'index';

const keyword = { type: 'keyword' } as const;
const long = { type: 'long' } as const;

export type RunStore = ReturnType<typeof createRunStore>;

export function createRunStore(es: Elasticsearch, prefix: string) {
  const index = runsIndexName(prefix);

  // First sight of a run is its START (each partition starts with one); a refresh's START names its base.
  const fresh = (event: IndexerEvent, now: number): RunState => {
    const start = event.marker?.kind === 'START' ? event.marker : null;
    return {
      kind: 'run',
      runId: event.runId,
      sourceId: event.sourceId,
      index: runIndexName(prefix, event.sourceId, event.runId),
      replayOf: event.marker?.replayOf ?? null,
      baseRunId: start?.refresh?.baseRunId ?? null,
      fullAt: start ? Number(start.refresh?.fullAt ?? start.at) : null,
      status: 'indexing',
      reason: null,
      firstSeenAt: now,
    };
  };

  return {
    index,

    async ensure(): Promise<void> {
      const exists = await es.indices.exists({ index });
      if (exists) return;
      await es.indices
        .create({
          index,
          settings: { number_of_shards: 1, number_of_replicas: 0 },
          mappings: {
            dynamic: false,
            properties: {
              kind: keyword,
              runId: keyword,
              sourceId: keyword,
              baseRunId: keyword,
              status: keyword,
              index: keyword,
              pageId: keyword,
              stage: keyword,
              marker: keyword,
              firstSeenAt: long,
              flippedAt: long,
              deleteAfter: long,
              deletedAt: long,
            },
          },
        })
        // Another indexer created it since the check.
        .catch(ignoreAlreadyExists);
    },

    async get(runId: string): Promise<RunState | null> {
      const doc = await es.get<RunState>({ index, id: runId }, { ignore: [404] });
      return doc.found ? (doc._source ?? null) : null;
    },

    /** The run's state, created on first sight (a page may be redelivered before its START). */
    async open(event: IndexerEvent, now = Date.now()): Promise<RunState> {
      const existing = await this.get(event.runId);
      if (existing) return existing;
      const run = fresh(event, now);
      await es.index(
        { index, id: run.runId, document: run, op_type: 'create', refresh: true },
        { ignore: [409] },
      );
      return (await this.get(event.runId)) ?? run;
    },

    async recordMarker(event: IndexerEvent & { marker: RunMarker }): Promise<void> {
      const m = event.marker;
      await es.index({
        index,
        id: `marker:${event.runId}:${m.kind}:${m.partition}`,
        document: {
          kind: 'marker',
          runId: event.runId,
          sourceId: event.sourceId,
          marker: m.kind,
          partition: m.partition,
          partitions: m.partitions,
          pagesInPartition: Number(m.pagesInPartition),
          pagesTotal: Number(m.pagesTotal),
          reason: m.reason,
          at: Number(m.at),
          replayOf: m.replayOf,
        },
      });
    },

    async markers(runId: string): Promise<RunMarkers> {
      await es.indices.refresh({ index });
      const result = await es.search<Omit<RunMarker, 'kind'> & { marker: RunMarker['kind'] }>({
        index,
        size: 10_000,
        query: { bool: { filter: [{ term: { kind: 'marker' } }, { term: { runId } }] } },
      });
      const seen: RunMarkers = { partitions: 0, starts: {}, ends: {}, aborts: {} };
      for (const hit of result.hits.hits) {
        const m = hit._source!;
        const p = String(m.partition);
        seen.partitions = Math.max(seen.partitions, m.partitions);
        if (m.marker === 'START') seen.starts[p] = { at: m.at };
        else if (m.marker === 'END')
          seen.ends[p] = { pagesInPartition: m.pagesInPartition, pagesTotal: m.pagesTotal, at: m.at };
        else seen.aborts[p] = { reason: m.reason, at: m.at };
      }
      return seen;
    },

    async update(runId: string, patch: Partial<RunState>): Promise<void> {
      await es.update({ index, id: runId, doc: patch, retry_on_conflict: 10, refresh: true });
    },

    /**
     * Records that the run's markers or pages just arrived, and returns its state as stored (a sweep may
     * have decided it meanwhile). No refresh: the sweep that reads it refreshes first.
     */
    async touch(runId: string, at: number): Promise<RunState | null> {
      const result = await es.update<RunState, Partial<RunState>>(
        { index, id: runId, doc: { lastActivityAt: at }, retry_on_conflict: 10, _source: true },
        { ignore: [404] },
      );
      return (result.get?._source as RunState | undefined) ?? null;
    },

    /** A page the run could not deliver, as a bulk item (written with the batch's pages). */
    failureItem(event: IndexerEvent, pageId: string, reason: string, stage: FailureStage): BulkItem {
      return {
        index,
        id: `failure:${event.runId}:${pageId}`,
        source: JSON.stringify({
          kind: 'failure',
          runId: event.runId,
          sourceId: event.sourceId,
          pageId,
          reason,
          stage,
        }),
      };
    },

    /** Distinct pages accounted as failures of the run. */
    async countFailures(runId: string): Promise<number> {
      await es.indices.refresh({ index });
      const { count } = await es.count({
        index,
        query: { bool: { filter: [{ term: { kind: 'failure' } }, { term: { runId } }] } },
      });
      return count;
    },

    /** Recent runs, newest first. */
    async list(filter: { sourceId?: string; statuses?: string[]; limit?: number } = {}): Promise<RunState[]> {
      await es.indices.refresh({ index });
      const result = await es.search<RunState>({
        index,
        size: filter.limit ?? 1000,
        sort: [{ runId: 'desc' }],
        query: {
          bool: {
            filter: [
              { term: { kind: 'run' } },
              ...(filter.sourceId ? [{ term: { sourceId: filter.sourceId } }] : []),
              ...(filter.statuses ? [{ terms: { status: filter.statuses } }] : []),
            ],
          },
        },
      });
      return result.hits.hits.flatMap((h) => (h._source ? [h._source] : []));
    },

    /** The newest run of the source that ever went live (a rollback does not make it "not newer"). */
    async newestLive(sourceId: string): Promise<string | null> {
      const [run] = await this.list({ sourceId, statuses: WENT_LIVE, limit: 1 });
      return run?.runId ?? null;
    },
  };
}
