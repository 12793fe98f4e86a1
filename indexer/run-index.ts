// One run's index through its life, on one object (Backstage's BatchSearchEngineIndexer shape):
// initialize (state, and the index: created with bulk-load settings, or for a refresh a copy of its
// base) → index (pages, failures, removals; markers) → finalize (verify, decide, flip: finalize.ts) →
// delete (retention). It owns the index name and the persisted run state (run-state.ts); the rules it
// follows are the pure functions of completion.ts.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { Logger } from '../lib/log.ts';
import { pageIdOf, type IndexerEvent, type MarkerEvent, type IndexerChange } from '../schemas/index.ts';
import { audienceCounts, moveAlias } from './alias.ts';
import { copyBase, liftWriteBlock, RefreshImpossible } from './base-copy.ts';
import { writeBulk, type BulkItem, type BulkOptions } from './bulk.ts';
import { pageDocument } from './document.ts';
import { closed, isDead, type RunState, type RunStatus } from './completion.ts';
import type { IndexerConfig } from './config.ts';
import { aliasName, runIndexName } from './index-names.ts';
import type { RunStore } from './run-state.ts';
import { createRunIndex, restoreSearchSettings } from './template.ts';

export type Outcome = 'flipped' | 'held' | 'failed' | 'superseded';

export interface RunIndexDeps {
  es: Elasticsearch;
  cfg: IndexerConfig;
  store: RunStore;
  log: Logger;
  /** Bulk writes: keep the Kafka session alive, observe requests. */
  bulk?: Pick<BulkOptions, 'heartbeat' | 'onRequest'>;
  /** Test hook: a simulated crash at this point (the service throws and stops without committing). */
  checkpoint?(point: 'before-flip'): void;
  onOutcome?(outcome: Outcome): void;
  onIndexed?(docs: number): void;
}

export class RunIndex {
  private readonly d: RunIndexDeps;
  /** As last read or written; the store holds the truth (another indexer may have decided it). */
  state: RunState;

  private constructor(d: RunIndexDeps, state: RunState) {
    this.d = d;
    this.state = state;
  }

  /** A run known to the store (finalize, sweep, ops). */
  static of(d: RunIndexDeps, state: RunState): RunIndex {
    return new RunIndex(d, state);
  }

  /** Initialize, on the first record of a run this process sees: its state, then its index. */
  static async open(d: RunIndexDeps, event: IndexerEvent): Promise<RunIndex> {
    const run = new RunIndex(d, await d.store.open(event));
    if (!closed(run.state)) await run.initialize();
    // A crash mid-copy may have left the base write-blocked, and the run was decided since.
    else if (run.state.baseRunId) await liftWriteBlock(d.es, run.baseIndex(run.state.baseRunId));
    return run;
  }

  get name(): string {
    return this.state.index;
  }
  get runId(): string {
    return this.state.runId;
  }
  get sourceId(): string {
    return this.state.sourceId;
  }
  get alias(): string {
    return aliasName(this.d.cfg.services.indexPrefix, this.sourceId);
  }
  get log(): Logger {
    return this.d.log.child({ runId: this.runId, sourceId: this.sourceId });
  }

  /**
   * The index, tuned for bulk loading until finalize: empty for a full run, a copy of the base for a
   * refresh. Safe to repeat (every start of a process, every redelivered START). A refresh whose base is
   * gone fails here: it could never add up, and the live alias stays where it is.
   */
  private async initialize(): Promise<void> {
    const baseRunId = this.state.baseRunId;
    if (!baseRunId) return createRunIndex(this.d.es, this.name);
    const base = this.baseIndex(baseRunId);
    try {
      const copyMs = await copyBase(this.d.es, {
        base,
        target: this.name,
        textAnalyzer: this.d.cfg.textAnalyzer,
        baseGone: () => this.baseGone(baseRunId, base),
      });
      if (copyMs !== null)
        this.log.info({ base, baseRunId, copyMs }, 'refresh: run index copied from its base');
    } catch (err) {
      if (!(err instanceof RefreshImpossible)) throw err;
      this.log.warn({ base, baseRunId, reason: err.message }, 'run failed at initialize: it never goes live');
      this.d.onOutcome?.('failed');
      await this.decide('failed', err.message);
    }
  }

  private baseIndex(baseRunId: string): string {
    return runIndexName(this.d.cfg.services.indexPrefix, this.sourceId, baseRunId);
  }

  private async baseGone(baseRunId: string, base: string): Promise<string> {
    const baseRun = await this.d.store.get(baseRunId);
    const what = baseRun?.deletedAt
      ? `was deleted at ${new Date(baseRun.deletedAt).toISOString()} (retention: ${baseRun.status})`
      : baseRun
        ? `no longer exists (status ${baseRun.status}; deleted outside the indexer)`
        : 'does not exist (the indexer never recorded that run)';
    return `refresh base ${base} of run ${baseRunId} ${what}: this refresh cannot be built and never goes live; the next run builds on the live version again, or is a full run if there is none`;
  }

  /** Records that records of the run just arrived, and learns its state as stored. */
  async touch(at: number): Promise<RunState> {
    const stored = await this.d.store.touch(this.runId, at);
    if (stored) {
      if (closed(stored) && !closed(this.state))
        this.log.warn(
          { status: stored.status, reason: stored.reason },
          'records of a run already decided arrived: ignored, the run stays as decided',
        );
      this.state = stored;
    }
    return this.state;
  }

  /**
   * Index: the run's pages, facts updates, failures and removals of one stretch between markers, in
   * bulk. A failed or removed page is deleted from the index (a refresh's index starts as a copy of the
   * base), a facts update changes the copied document's facts fields. A page
   * Elasticsearch refuses (e.g. a mapping error) becomes a recorded failure of that page.
   */
  async index(events: IndexerChange[]): Promise<number> {
    if (closed(this.state) || events.length === 0) return 0;
    const { store } = this.d;
    const items: (BulkItem & { event?: IndexerChange })[] = [];
    for (const event of events) {
      if (event.page) {
        const source = pageDocument(event.page, { runId: this.runId, sourceId: this.sourceId });
        items.push({ index: this.name, id: event.page.pageId, source, event });
      } else if (event.facts) {
        // The document copied from the base keeps its HTML; one it does not hold (404) is refused and
        // so recorded as a failure of the page: the run cannot add up and never goes live.
        const source = JSON.stringify({ doc: { ...event.facts, runId: this.runId } });
        items.push({ index: this.name, id: event.facts.pageId, source, update: true, event });
      } else {
        items.push({ index: this.name, id: pageIdOf(event), source: null, event });
        if (event.failure)
          items.push(store.failureItem(event, event.failure.pageId, event.failure.reason, 'convert'));
      }
    }
    const bulk = { ...this.d.cfg.bulk, heartbeat: async () => {}, ...this.d.bulk };
    const rejected = await writeBulk(this.d.es, items, bulk);
    const failures = rejected.map(({ item, reason }) => {
      const { event } = item as (typeof items)[number];
      if (!event) throw new Error(`run state write refused: ${reason}`);
      this.log.error(
        { pageId: item.id, reason },
        'page refused by elasticsearch: recorded as a failure of the page',
      );
      return store.failureItem(event, item.id, `index: ${reason}`, 'index');
    });
    if (failures.length > 0 && (await writeBulk(this.d.es, failures, bulk)).length > 0)
      throw new Error('failure records refused by elasticsearch');
    this.d.onIndexed?.(items.length - rejected.length);
    return items.length;
  }

  async recordMarker(event: MarkerEvent<IndexerEvent>): Promise<void> {
    await this.d.store.recordMarker(event);
    const { kind, partition, partitions, pagesInPartition, pagesTotal, reason } = event.marker;
    this.log.info(
      { kind, partition, partitions, pagesInPartition, pagesTotal, reason },
      `run marker ${kind}`,
    );
  }

  /** Before the verdict: searchable settings, a fresh view, and what the run holds. */
  async counts(): Promise<{ docs: number; publicDocs: number; failures: number }> {
    await restoreSearchSettings(this.d.es, this.d.cfg, this.name);
    const { docs, publicDocs } = await audienceCounts(this.d.es, this.name);
    return { docs, publicDocs, failures: await this.d.store.countFailures(this.runId) };
  }

  /** The one `_aliases` call that makes this run live. */
  async flip(): Promise<void> {
    this.d.checkpoint?.('before-flip');
    await moveAlias(this.d.es, this.alias, this.name);
  }

  /** Records the verdict (dead runs get their deletion date). */
  async decide(status: RunStatus, reason: string | null, extra: Partial<RunState> = {}): Promise<RunState> {
    const now = Date.now();
    const patch: Partial<RunState> = {
      status,
      reason,
      decidedAt: now,
      ...(isDead({ status }) ? { deleteAfter: now + this.d.cfg.deadRunGraceMs } : {}),
      ...extra,
    };
    await this.d.store.update(this.runId, patch);
    this.state = { ...this.state, ...patch };
    return this.state;
  }

  /** Retention: the index goes, the state stays (marked deleted). */
  async delete(): Promise<void> {
    await this.d.es.indices.delete({ index: this.name }, { ignore: [404] });
    await this.d.store.update(this.runId, { deletedAt: Date.now() });
    this.log.info({ index: this.name, status: this.state.status }, 'retention: run index deleted');
  }
}
