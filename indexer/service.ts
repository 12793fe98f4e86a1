// The indexer service: consume the HTML pages topic, write each run into its own index (run-index.ts)
// and finalize runs whose END arrived on every partition (finalize.ts). Offsets are committed only
// after the bulk requests covering them succeeded; while Elasticsearch is away the chunk waits
// (unhealthy, uncommitted).
import { Registry } from 'prom-client';
import { startConsumer, type StageHandle } from '../lib/consumer.ts';
import {
  createElasticsearch,
  elasticsearchAnswers,
  verifyElasticsearch,
  type Elasticsearch,
} from '../lib/elasticsearch.ts';
import { createKafka, type Kafka } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import { createLogger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import type { StageDeps } from '../lib/service.ts';
import type { IndexerEvent } from '../schemas/index.ts';
import { chunkHandler } from './chunk.ts';
import type { IndexerConfig } from './config.ts';
import { crashHooks, type CrashPoint } from './crash.ts';
import { createFinalizer } from './finalize.ts';
import { guardedElasticsearch } from './guarded-client.ts';
import { indexerMetrics } from './metrics.ts';
import { Stopped } from './retry.ts';
import { createRunCache } from './run-cache.ts';
import { createRunStore } from './run-state.ts';
import { ensureTemplate } from './template.ts';

/** The CLI's probes and metrics (lib/service.ts); without them, metrics go to a registry of its own. */
export interface IndexerOptions extends Partial<StageDeps> {
  /** Test hook: return true to crash at this point (nothing after it is written or committed). */
  crashAt?(point: CrashPoint): boolean;
}

export async function startIndexer(cfg: IndexerConfig, opts: IndexerOptions = {}): Promise<StageHandle> {
  const log = opts.log ?? createLogger('indexer');
  const metrics = opts.metrics ?? new Registry();
  const m = indexerMetrics(metrics);
  const crash = crashHooks(opts.crashAt, log);
  const plain = createElasticsearch(cfg.services);
  const kafka = createKafka(cfg.services, 'indexer', log);
  let heartbeat = async () => {};
  // Every call of the service's client waits out an outage; `plain` is for the start-up checks.
  const guard = guardedElasticsearch(plain, cfg.services, {
    log,
    crash,
    metrics: m,
    setReady: opts.setReady ?? (() => {}),
    heartbeat: () => heartbeat(),
  });
  const es = guard.es;
  opts.readyWhen?.('elasticsearch', () => elasticsearchAnswers(plain));
  const store = await prepare(cfg, plain, es, kafka);
  const deps = {
    es,
    cfg,
    store,
    log,
    bulk: { heartbeat: () => heartbeat(), onRequest: m.observeBulk },
    checkpoint: (point: 'before-flip') => crash.checkpoint(point),
    onOutcome: (outcome: string) => m.runs.inc({ outcome }),
    onIndexed: (docs: number) => m.docs.inc(docs),
  };
  const finalizer = createFinalizer(deps);
  const runs = createRunCache(deps, Math.min(60_000, cfg.staleRunMs / 10));
  const handleChunk = chunkHandler({ runs, finalizer, crash });
  const codecs = await createCodecs(cfg.services);

  await finalizer.recover();
  const consumer = await startConsumer<IndexerEvent>({
    service: 'indexer',
    kafka,
    log,
    metrics,
    groupId: cfg.groupId,
    topic: cfg.services.topics.htmlPages,
    decode: codecs.htmlPages.decodeTexts,
    handle: (entries, ctx) => {
      heartbeat = ctx.heartbeat;
      return handleChunk(entries);
    },
    chunk: cfg.chunk,
    fetch: { maxBytes: cfg.fetchMaxBytes * 2, maxBytesPerPartition: cfg.fetchMaxBytes },
    partitionsConcurrency: cfg.partitionsConcurrency,
    ...(opts.readyWhen ? { readyWhen: opts.readyWhen } : {}),
  });
  log.info({ topic: cfg.services.topics.htmlPages, groupId: cfg.groupId }, 'indexer: consuming');
  const sweep = setInterval(() => {
    runs.forget(Date.now());
    finalizer.sweep(guard.watchingSince()).catch((err: unknown) => {
      if (!(err instanceof Stopped)) log.error({ err }, 'sweep failed');
    });
  }, cfg.sweepIntervalMs);

  const done = consumer.done.finally(async () => {
    guard.stopping();
    clearInterval(sweep);
    await es.close();
    log.info(`indexer: ${crash.halted() ? 'killed' : 'stopped'}`);
  });
  done.catch(() => {});
  const stop = async () => {
    guard.stopping();
    await consumer.stop();
    await done.catch(() => {});
  };
  return { metrics, done, stop };
}

/** Start-up: Elasticsearch answers as configured, the page template, the topics and the run state index exist. */
async function prepare(cfg: IndexerConfig, plain: Elasticsearch, es: Elasticsearch, kafka: Kafka) {
  try {
    await verifyElasticsearch(plain, cfg.services);
    await ensureTemplate(es, cfg);
    await ensureTopics(kafka, cfg.services);
    const store = createRunStore(es, cfg.services.indexPrefix);
    await store.ensure();
    return store;
  } catch (err) {
    await es.close();
    throw err;
  }
}
