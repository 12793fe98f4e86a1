// The indexer service: consume the HTML pages topic, write each run into its own index, and finalize
// runs whose END arrived on every partition. Offsets are committed only after the bulk requests
// covering them succeeded; while Elasticsearch is away the batch waits (unhealthy, uncommitted).
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import { createElasticsearch, elasticsearchAnswers, verifyElasticsearch } from '../lib/elasticsearch.ts';
import { createKafka, ensureTopics, kafkaReadiness, type EachBatchPayload } from '../lib/kafka.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import { startService } from '../lib/service.ts';
import type { HtmlPageEvent, RunMarker } from '../schemas/index.ts';
import { writeBulk, type BulkItem } from './bulk.ts';
import { closed, type RunState } from './completion.ts';
import type { IndexerConfig } from './config.ts';
import { createFinalizer } from './finalize.ts';
import { Stopped, waitingGuard } from './retry.ts';
import { createRunStore } from './run-state.ts';
import { createRunIndex, ensureTemplate } from './template.ts';

/** Where a simulated crash may strike (tests): after a bulk, after a marker, just before the flip. */
export type CrashPoint = 'after-bulk' | 'after-marker' | 'before-flip';

export interface IndexerOptions {
  log?: Logger;
  metricsPort?: number;
  /** Test hook: return true to crash at this point (nothing after it is written or committed). */
  crashAt?(point: CrashPoint): boolean;
}

export interface IndexerHandle {
  /** Graceful: finish the batch in hand, commit, disconnect. */
  stop(): Promise<void>;
  /** Crash simulation: no further write or commit, then drop the connection. */
  kill(): Promise<void>;
  /** Resolves when the indexer has stopped (by stop, kill or a crash point). */
  stopped: Promise<void>;
  port: number;
  metrics: Registry;
}

class Crash extends Error {}

export async function startIndexer(cfg: IndexerConfig, opts: IndexerOptions = {}): Promise<IndexerHandle> {
  const log = opts.log ?? createLogger('indexer');
  const service = await startService('indexer', log, opts.metricsPort);
  const m = metricsOf(service.metrics);
  const es = createElasticsearch(cfg.services);
  const kafka = createKafka(cfg.services, 'indexer', log);
  const kafkaProbe = kafkaReadiness(kafka);
  service.readyWhen('kafka', kafkaProbe.check);
  service.readyWhen('elasticsearch', () => elasticsearchAnswers(es));
  let halted = false;
  let stopping = false;
  let heartbeat = async () => {};
  // Stale runs are judged only on time the indexer could see records (see `staleness`).
  let watchingSince = Date.now();
  const guard = waitingGuard({
    halted: () => halted,
    stopping: () => stopping,
    async onWait(err, attempt) {
      if (attempt === 0)
        log.warn({ err: (err as Error).message }, 'elasticsearch unavailable: waiting, nothing committed');
      service.setReady(false, `elasticsearch unavailable: ${(err as Error).message}`);
      m.waiting.set(1);
      await heartbeat();
    },
    onRecovered() {
      log.info('elasticsearch is back: resuming');
      watchingSince = Date.now();
      service.setReady(true);
      m.waiting.set(0);
    },
  });
  const consumer = kafka.consumer({
    groupId: cfg.groupId,
    maxBytesPerPartition: cfg.fetchMaxBytes,
    maxBytes: cfg.fetchMaxBytes * 2,
  });
  const timers: { sweep?: NodeJS.Timeout } = {};
  let resolveStopped = () => {};
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  let closing: Promise<void> | null = null;
  const close = (how: 'stop' | 'kill') =>
    (closing ??= (async () => {
      stopping = true;
      if (how === 'kill') halted = true;
      clearInterval(timers.sweep);
      await consumer.disconnect().catch(() => {});
      await kafkaProbe.close();
      await service.close();
      await es.close();
      log.info(`indexer: ${how === 'kill' ? 'killed' : 'stopped'}`);
      resolveStopped();
    })());
  const checkpoint = (point: CrashPoint) => {
    if (halted || opts.crashAt?.(point)) {
      log.warn({ point }, 'simulated crash');
      void close('kill');
      throw new Crash(`simulated crash at ${point}`);
    }
  };

  try {
    await verifyElasticsearch(es, cfg.services);
  } catch (err) {
    await close('stop');
    throw err;
  }
  await guard(() => ensureTemplate(es, cfg));
  const store = createRunStore(es, cfg.services.indexPrefix, guard);
  await store.ensure();
  const finalizer = createFinalizer({
    es,
    cfg,
    store,
    log,
    guard,
    checkpoint,
    onOutcome: (outcome) => m.runs.inc({ outcome }),
  });
  try {
    await ensureTopics(kafka, cfg.services);
  } catch (err) {
    // Close the health server and clients too, or the failed process would stay up.
    await close('stop');
    throw err;
  }
  const codecs = await createCodecs(cfg.services);

  // Initialize: a run's state and index, once per process (both creations are idempotent).
  const runs = new Map<string, RunState>();
  const openRun = async (event: HtmlPageEvent): Promise<RunState> => {
    let run = runs.get(event.runId);
    if (!run) {
      run = await store.open(event);
      if (!run.deletedAt) await guard(() => createRunIndex(es, run!.index));
      runs.set(event.runId, run);
    }
    return run;
  };

  // A run's last activity, for the stale-run sweep: written with every marker, and for pages at most
  // once per `touchEveryMs` per run — never once per page. The write returns the stored state, so a
  // run the sweep failed meanwhile stops taking pages (partitions in flight wait for the same answer).
  const touchEveryMs = Math.min(60_000, cfg.staleRunMs / 10);
  const touched = new Map<string, { at: number; run: Promise<RunState> }>();
  const receive = async (event: HtmlPageEvent, always = false): Promise<RunState> => {
    const run = await openRun(event);
    const now = Date.now();
    const last = touched.get(event.runId);
    if (!always && last && now - last.at < touchEveryMs) return last.run;
    const fresh = store.touch(event.runId, now).then((stored) => {
      if (!stored) return run;
      if (closed(stored) && !closed(run))
        log.warn(
          { runId: event.runId, sourceId: event.sourceId, status: stored.status, reason: stored.reason },
          'records of a run already decided arrived: ignored, the run stays as decided',
        );
      runs.set(event.runId, stored);
      return stored;
    });
    touched.set(event.runId, { at: now, run: fresh });
    return fresh;
  };

  // Index: pages and conversion failures of one stretch between markers, in bulk.
  const indexEvents = async (events: HtmlPageEvent[]) => {
    const items: BulkItem[] = [];
    for (const event of events) {
      const run = await receive(event);
      // A run that can never go live (stale, or failed and its index gone): nothing to write.
      if (closed(run)) continue;
      if (event.page)
        items.push({
          index: run.index,
          id: event.page.pageId,
          source: JSON.stringify({ ...event.page, runId: event.runId, sourceId: event.sourceId }),
        });
      else if (event.failure)
        items.push(store.failureItem(event, event.failure.pageId, event.failure.reason, 'convert'));
    }
    if (items.length === 0) return;
    const bulk = { ...cfg.bulk, guard, heartbeat: () => heartbeat(), onRequest: m.observeBulk };
    const rejected = await writeBulk(es, items, bulk);
    // A page Elasticsearch refuses (e.g. a mapping error) becomes a recorded failure of that page.
    const failures = rejected.map(({ item, reason }) => {
      if (item.index === store.index) throw new Error(`run state write refused: ${reason}`);
      const event = events.find(
        (e) => e.page?.pageId === item.id && runs.get(e.runId)?.index === item.index,
      )!;
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

  const recordMarker = async (event: HtmlPageEvent & { marker: RunMarker }) => {
    await receive(event, true);
    await store.recordMarker(event);
    const { kind, partition, partitions, pagesInPartition, pagesTotal, reason } = event.marker;
    log.info(
      {
        runId: event.runId,
        sourceId: event.sourceId,
        kind,
        partition,
        partitions,
        pagesInPartition,
        pagesTotal,
        reason,
      },
      `run marker ${kind}`,
    );
    checkpoint('after-marker');
  };

  const eachBatch = async (payload: EachBatchPayload) => {
    const { batch } = payload;
    heartbeat = payload.heartbeat;
    const marked = new Set<string>();
    let pending: HtmlPageEvent[] = [];
    let last: string | null = null;
    for (const message of batch.messages) {
      if (!payload.isRunning() || payload.isStale()) break;
      const event = await codecs.htmlPages.decode(message.value!);
      if (event.marker) {
        // Markers come after the pages before them: those must be written first.
        await indexEvents(pending);
        pending = [];
        await recordMarker(event as HtmlPageEvent & { marker: RunMarker });
        marked.add(event.runId);
      } else pending.push(event);
      last = message.offset;
    }
    await indexEvents(pending);
    if (halted) throw new Crash('halted');
    if (last !== null) {
      payload.resolveOffset(last);
      await payload.commitOffsetsIfNecessary();
    }
    m.lag.set({ partition: String(batch.partition) }, Number(batch.offsetLag()));
    // Finalize: runs a marker of this batch may just have completed (a crash before this is caught by recover()).
    for (const runId of marked) await finalizer.finalize(runId);
  };

  await consumer.connect();
  await consumer.subscribe({ topic: cfg.services.topics.htmlPages, fromBeginning: true });
  await finalizer.recover();
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: cfg.partitionsConcurrency,
    eachBatch,
  });
  log.info({ topic: cfg.services.topics.htmlPages, groupId: cfg.groupId }, 'indexer: consuming');
  timers.sweep = setInterval(() => {
    finalizer.sweep(watchingSince).catch((err: unknown) => {
      if (!(err instanceof Stopped)) log.error({ err }, 'sweep failed');
    });
  }, cfg.sweepIntervalMs);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (halted) return;
    log.error({ err: payload.error }, 'consumer crashed');
    service.setLive(false, `consumer crashed: ${payload.error.message}`);
  });
  void service.stopped.then(() => close('stop'));
  return {
    stop: () => close('stop'),
    kill: () => close('kill'),
    stopped,
    port: service.port,
    metrics: service.metrics,
  };
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
  const lag = new Gauge({
    name: 'indexer_consumer_lag',
    help: 'Records behind the end of the partition',
    labelNames: ['partition'],
    registers: [registry],
  });
  return {
    docs,
    runs,
    waiting,
    lag,
    observeBulk(seconds: number, _docs: number, bytes: number) {
      bulkSeconds.observe(seconds);
      bulkBytes.inc(bytes);
    },
  };
}
