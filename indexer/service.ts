// The indexer service: consume the HTML pages topic, write each run into its own index, and finalize
// runs whose END arrived on every partition. Offsets are committed only after the bulk requests
// covering them succeeded; while Elasticsearch is away the chunk waits (unhealthy, uncommitted).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { startConsumer, type Entry, type StageHandle } from '../lib/consumer.ts';
import { createElasticsearch, elasticsearchAnswers, verifyElasticsearch } from '../lib/elasticsearch.ts';
import { createKafka, ensureTopics } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import type { StageDeps } from '../lib/service.ts';
import { pageIdOf, type HtmlPageEvent, type MarkerEvent, type PageOrFailureEvent } from '../schemas/index.ts';
import { writeBulk, type BulkItem } from './bulk.ts';
import { closed, type RunState } from './completion.ts';
import type { IndexerConfig } from './config.ts';
import { createFinalizer } from './finalize.ts';
import { Stopped, waitingElasticsearch } from './retry.ts';
import { createRunStore } from './run-state.ts';
import { createRunIndex, ensureTemplate } from './template.ts';

/** Where a simulated crash may strike (tests): after a bulk, after a marker, just before the flip. */
export type CrashPoint = 'after-bulk' | 'after-marker' | 'before-flip';

/** The CLI's probes and metrics (lib/service.ts); without them, metrics go to a registry of its own. */
export interface IndexerOptions extends Partial<StageDeps> {
  /** Test hook: return true to crash at this point (nothing after it is written or committed). */
  crashAt?(point: CrashPoint): boolean;
}

/** A simulated crash (tests): `done` rejects with it. */
export class Crash extends Error {}

export async function startIndexer(cfg: IndexerConfig, opts: IndexerOptions = {}): Promise<StageHandle> {
  const log = opts.log ?? createLogger('indexer');
  const metrics = opts.metrics ?? new Registry();
  const setReady = opts.setReady ?? (() => {});
  const m = metricsOf(metrics);
  const plain = createElasticsearch(cfg.services);
  const kafka = createKafka(cfg.services, 'indexer', log);
  let halted = false;
  let stopping = false;
  let heartbeat = async () => {};
  // Stale runs are judged only on time the indexer could see records (see `staleness`).
  let watchingSince = Date.now();
  // Every call of the service's client waits out an outage; `plain` is for the start-up checks.
  const es = waitingElasticsearch(plain, cfg.services, {
    halted: () => halted,
    stopping: () => stopping,
    async onWait(err: unknown, attempt: number) {
      if (attempt === 0)
        log.warn({ err: (err as Error).message }, 'elasticsearch unavailable: waiting, nothing committed');
      setReady(false, `elasticsearch unavailable: ${(err as Error).message}`);
      m.waiting.set(1);
      await heartbeat();
    },
    onRecovered() {
      log.info('elasticsearch is back: resuming');
      watchingSince = Date.now();
      setReady(true);
      m.waiting.set(0);
    },
  });
  const checkpoint = (point: CrashPoint) => {
    if (halted || opts.crashAt?.(point)) {
      halted = true;
      log.warn({ point }, 'simulated crash');
      throw new Crash(`simulated crash at ${point}`);
    }
  };

  opts.readyWhen?.('elasticsearch', () => elasticsearchAnswers(plain));
  try {
    await verifyElasticsearch(plain, cfg.services);
    await ensureTemplate(es, cfg);
    await ensureTopics(kafka, cfg.services);
  } catch (err) {
    await es.close();
    throw err;
  }
  const store = createRunStore(es, cfg.services.indexPrefix);
  await store.ensure();
  const finalizer = createFinalizer({
    es,
    cfg,
    store,
    log,
    checkpoint,
    onOutcome: (outcome) => m.runs.inc({ outcome }),
  });
  const codecs = await createCodecs(cfg.services);

  // Initialize: a run's state and index, once per process (both creations are idempotent). A run's
  // last activity, for the stale-run sweep, is written with every marker and for pages at most once per
  // `touchEveryMs` per run — never once per page. The write returns the stored state, so a run the sweep
  // failed meanwhile stops taking pages (partitions in flight wait for the same answer). Runs not
  // heard of for a while are forgotten (a late record opens them again from the store).
  const touchEveryMs = Math.min(60_000, cfg.staleRunMs / 10);
  const runs = new Map<string, { at: number; run: Promise<RunState> }>();
  const openRun = async (event: HtmlPageEvent): Promise<RunState> => {
    const opened = await store.open(event);
    if (!opened.deletedAt) await createRunIndex(es, opened.index);
    return opened;
  };
  const receive = (event: HtmlPageEvent, always = false): Promise<RunState> => {
    const now = Date.now();
    const last = runs.get(event.runId);
    if (!always && last && now - last.at < touchEveryMs) return last.run;
    const previous = last?.run ?? openRun(event);
    const fresh = previous.then(async (run) => {
      // Now, not when asked: opening a run (its state and index) can take seconds on a busy cluster.
      const stored = await store.touch(event.runId, Date.now());
      if (!stored) return run;
      if (closed(stored) && !closed(run))
        log.warn(
          { runId: event.runId, sourceId: event.sourceId, status: stored.status, reason: stored.reason },
          'records of a run already decided arrived: ignored, the run stays as decided',
        );
      return stored;
    });
    runs.set(event.runId, { at: now, run: fresh });
    fresh.catch(() => runs.get(event.runId)?.run === fresh && runs.delete(event.runId));
    return fresh;
  };
  const forget = (now: number) => {
    for (const [runId, { at }] of runs) if (now - at > 10 * touchEveryMs) runs.delete(runId);
  };

  // Index: pages, conversion failures and removals of one stretch between markers, in bulk. A failed or
  // removed page is deleted from the run's index: a refresh's index starts as a copy of the live one.
  const indexEvents = async (events: PageOrFailureEvent[]) => {
    const items: (BulkItem & { event: PageOrFailureEvent })[] = [];
    for (const event of events) {
      const run = await receive(event);
      // A run that can never go live (stale, or failed and its index gone): nothing to write.
      if (closed(run)) continue;
      if (event.page) {
        const source = JSON.stringify({ ...event.page, runId: event.runId, sourceId: event.sourceId });
        items.push({ index: run.index, id: event.page.pageId, source, event });
      } else {
        items.push({ index: run.index, id: pageIdOf(event), source: null, event });
        if (event.failure)
          items.push({
            ...store.failureItem(event, event.failure.pageId, event.failure.reason, 'convert'),
            event,
          });
      }
    }
    if (items.length === 0) return;
    const bulk = { ...cfg.bulk, heartbeat: () => heartbeat(), onRequest: m.observeBulk };
    const rejected = await writeBulk(es, items, bulk);
    // A page Elasticsearch refuses (e.g. a mapping error) becomes a recorded failure of that page.
    const failures = rejected.map(({ item, reason }) => {
      if (item.index === store.index) throw new Error(`run state write refused: ${reason}`);
      const { event } = item as (typeof items)[number];
      log.error(
        { runId: event.runId, sourceId: event.sourceId, pageId: item.id, reason },
        'page refused by elasticsearch: recorded as a failure of the page',
      );
      return store.failureItem(event, item.id, `index: ${reason}`, 'index');
    });
    if (failures.length > 0 && (await writeBulk(es, failures, bulk)).length > 0)
      throw new Error('failure records refused by elasticsearch');
    m.docs.inc(items.length - rejected.length);
    checkpoint('after-bulk');
  };

  const recordMarker = async (event: MarkerEvent<HtmlPageEvent>) => {
    await receive(event, true);
    await store.recordMarker(event);
    const { kind, partition, partitions, pagesInPartition, pagesTotal, reason } = event.marker;
    const { runId, sourceId } = event;
    log.info(
      { runId, sourceId, kind, partition, partitions, pagesInPartition, pagesTotal, reason },
      `run marker ${kind}`,
    );
    checkpoint('after-marker');
  };

  /** One chunk in order: markers come after the pages before them, so those are written first. */
  const indexChunk = async (entries: Entry<HtmlPageEvent>[]) => {
    const marked = new Set<string>();
    let pending: PageOrFailureEvent[] = [];
    for (const entry of entries) {
      if (entry.kind === 'skipped') continue; // logged and counted by the consumer
      const event = entry.value;
      if (event.marker) {
        await indexEvents(pending);
        pending = [];
        await recordMarker(event);
        marked.add(event.runId);
      } else pending.push(event);
    }
    await indexEvents(pending);
    // Finalize: runs a marker of this chunk may just have completed (before the commit: a crash
    // after it redelivers the markers, and finalizing again is harmless).
    for (const runId of marked) await finalizer.finalize(runId);
    if (halted) throw new Crash('halted');
  };

  await finalizer.recover();
  const consumer = await startConsumer<HtmlPageEvent>({
    service: 'indexer',
    kafka,
    log,
    metrics,
    groupId: cfg.groupId,
    topic: cfg.services.topics.htmlPages,
    decode: (value) => codecs.htmlPages.decode(value),
    handle: (entries, ctx) => {
      heartbeat = ctx.heartbeat;
      return indexChunk(entries);
    },
    chunk: cfg.chunk,
    fetch: { maxBytes: cfg.fetchMaxBytes * 2, maxBytesPerPartition: cfg.fetchMaxBytes },
    partitionsConcurrency: cfg.partitionsConcurrency,
    ...(opts.readyWhen ? { readyWhen: opts.readyWhen } : {}),
  });
  log.info({ topic: cfg.services.topics.htmlPages, groupId: cfg.groupId }, 'indexer: consuming');
  const sweep = setInterval(() => {
    forget(Date.now());
    finalizer.sweep(watchingSince).catch((err: unknown) => {
      if (!(err instanceof Stopped)) log.error({ err }, 'sweep failed');
    });
  }, cfg.sweepIntervalMs);

  const done = consumer.done.finally(async () => {
    stopping = true;
    clearInterval(sweep);
    await es.close();
    log.info(`indexer: ${halted ? 'killed' : 'stopped'}`);
  });
  done.catch(() => {});
  const stop = async () => {
    stopping = true;
    await consumer.stop();
    await done.catch(() => {});
  };
  return { metrics, done, stop };
}

function metricsOf(registry: Registry) {
  const docs = new Counter({
    name: 'indexer_docs_indexed_total',
    help: 'Pages written to run indices',
    registers: [registry],
  });
  const bulkSeconds = new Histogram({
    name: 'indexer_bulk_seconds',
    help: 'Bulk request latency',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const bulkBytes = new Counter({
    name: 'indexer_bulk_bytes_total',
    help: 'Bytes sent in bulk requests',
    registers: [registry],
  });
  const runs = new Counter({
    name: 'indexer_runs_total',
    help: 'Runs decided, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const waiting = new Gauge({
    name: 'indexer_elasticsearch_waiting',
    help: '1 while waiting for Elasticsearch',
    registers: [registry],
  });
  return {
    docs,
    runs,
    waiting,
    observeBulk(seconds: number, _docs: number, bytes: number) {
      bulkSeconds.observe(seconds);
      bulkBytes.inc(bytes);
    },
  };
}
