// The transformer service: raw pages topic → HTML pages topic (+ dead letters), partition p → p.
// At-least-once: a chunk's offsets are committed only after its output is acknowledged by Kafka.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env, type ServicesConfig } from '../lib/config.ts';
import {
  compressionType,
  createKafka,
  DEFAULT_COMPRESSION,
  ensureTopics,
  type EachBatchPayload,
} from '../lib/kafka.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createCodecs, isRegistryUnavailable } from '../lib/registry.ts';
import { ConversionError } from './convert.ts';
import type { RawPageEvent } from '../schemas/index.ts';
import { chunksOf, failed, transformEvent, type Convert, type Transformed } from './pipeline.ts';

export interface TransformerConfig extends ServicesConfig {
  groupId: string;
  /** How long a silent instance keeps its partitions before another takes them over. */
  sessionTimeoutMs: number;
}

export function transformerConfig(env: Env = process.env): TransformerConfig {
  const services = servicesConfig(env);
  const own = readConfig(
    {
      TRANSFORMER_GROUP_ID: z.string().min(1).optional(),
      // The broker's default bounds are 6 s to 30 min.
      TRANSFORMER_SESSION_TIMEOUT_MS: vars.int(6_000, 1_800_000, 30_000).default(30_000),
    },
    env,
  );
  return {
    ...services,
    groupId: own.TRANSFORMER_GROUP_ID ?? `${services.indexPrefix}-transformer`,
    sessionTimeoutMs: own.TRANSFORMER_SESSION_TIMEOUT_MS,
  };
}

export interface TransformerOptions {
  log?: Logger;
  /** Where the service's metrics go (the /metrics registry of lib/service.ts in production). */
  metrics?: Registry;
  /** Seconds between progress lines per run (0: none). */
  progressEvery?: number;
  /** The storage → HTML converter (default convertPage); a replay after a converter fix uses the new one. */
  convert?: Convert;
}

export interface TransformerHandle {
  metrics: Registry;
  /** Rejects if the consumer stops on an error it cannot recover from; resolves after stop(). */
  done: Promise<void>;
  /** Finishes the chunk in hand, commits what was acknowledged, and disconnects. */
  stop(): Promise<void>;
}

const MiB = 1024 * 1024;
// Topics accept 16 MiB records (lib/kafka.ts); a produce request's batch per partition must fit too.
const MAX_RECORD_BYTES = 16 * MiB - 64 * 1024;
const SEND_BYTES = 8 * MiB;
// Work between heartbeats: conversion is synchronous CPU, so keep each chunk short.
const CHUNK_PAGES = 500;
const CHUNK_BYTES = 8 * MiB;

interface Outgoing {
  key: string | null;
  value: Buffer;
}

export async function startTransformer(
  cfg: TransformerConfig,
  opts: TransformerOptions = {},
): Promise<TransformerHandle> {
  const log = opts.log ?? createLogger('transformer');
  const metrics = opts.metrics ?? new Registry();
  const m = createMetrics(metrics);
  const kafka = createKafka(cfg, 'transformer', log);
  await ensureTopics(kafka, cfg);
  const codecs = await createCodecs(cfg);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const consumer = kafka.consumer({
    groupId: cfg.groupId,
    sessionTimeout: cfg.sessionTimeoutMs,
    maxBytesPerPartition: 17 * MiB,
    maxBytes: 64 * MiB,
  });
  await producer.connect();
  await consumer.connect();
  // A new group starts at the oldest retained run: starting at the end would cut a run in progress.
  await consumer.subscribe({ topic: cfg.topics.rawPages, fromBeginning: true });

  const progress = new Map<string, { sourceId: string; pages: number; failures: number }>();
  const ticker =
    (opts.progressEvery ?? 30) > 0
      ? setInterval(
          () => {
            for (const [runId, p] of progress) log.info({ runId, ...p }, 'transformer: progress');
            progress.clear();
          },
          (opts.progressEvery ?? 30) * 1000,
        ).unref()
      : null;

  /** Decodes, converts and encodes one chunk, in order. */
  async function transformChunk(messages: EachBatchPayload['batch']['messages']) {
    const html: Outgoing[] = [];
    const dead: Outgoing[] = [];
    for (const message of messages) {
      const raw = await decode(message.value, message.offset);
      if (!raw) continue;
      let out: Transformed | null = transformEvent(raw, Date.now(), opts.convert);
      if (!out) {
        skipped(message.offset, 'the envelope holds neither a page nor a marker');
        continue;
      }
      const key = message.key?.toString() ?? null;
      let value = await codecs.htmlPages.encode(out.event);
      if (value.length > MAX_RECORD_BYTES && raw.page) {
        const tooLarge = `the HTML is ${value.length} bytes, over the topic's limit of ${MAX_RECORD_BYTES}`;
        out = failed(raw, raw.page, new ConversionError('too-large', tooLarge), Date.now());
        value = await codecs.htmlPages.encode(out.event);
      }
      html.push({ key, value });
      if (out.kind === 'failure') dead.push({ key, value: await codecs.deadLetter.encode(out.deadLetter) });
      account(out);
    }
    return { html, dead };
  }

  async function decode(value: Buffer | null, offset: string): Promise<RawPageEvent | null> {
    try {
      if (value) return await codecs.rawPages.decode(value);
      skipped(offset, 'the record has no value');
    } catch (err) {
      // Thrown out of the batch: kafkajs retries it from the last committed chunk.
      if (isRegistryUnavailable(err)) throw err;
      skipped(offset, (err as Error).message);
    }
    return null;
  }

  /** Not a raw page event at all: nothing downstream can account for it, so say where it is. */
  function skipped(offset: string, why: string): void {
    m.undecodable.inc();
    log.error(
      { topic: cfg.topics.rawPages, offset, why },
      'transformer: skipped a record that is not a raw page event',
    );
  }

  function account(out: Transformed): void {
    const { runId, sourceId } = out.event;
    if (out.kind === 'marker') {
      const marker = out.event.marker!;
      m.markers.inc({ kind: marker.kind });
      log.info(
        { runId, sourceId, marker: marker.kind, partition: marker.partition },
        'transformer: passed on a run marker',
      );
      return;
    }
    const p = progress.get(runId) ?? { sourceId, pages: 0, failures: 0 };
    progress.set(runId, p);
    p.pages++;
    m.pages.inc();
    if (out.kind === 'failure') {
      p.failures++;
      m.failures.inc({ reason: out.code });
      const { pageId, reason } = out.event.failure!;
      log.warn(
        { runId, sourceId, pageId, reason },
        'transformer: page could not be converted; sent to the dead-letter topic',
      );
    }
  }

  /** Writes one partition's output in requests the broker accepts, each acknowledged before the next. */
  async function send(partition: number, out: { html: Outgoing[]; dead: Outgoing[] }): Promise<void> {
    const messages = [
      ...out.html.map((msg) => ({ topic: cfg.topics.htmlPages, msg: { ...msg, partition } })),
      ...out.dead.map((msg) => ({ topic: cfg.topics.deadLetter, msg })),
    ];
    for (const group of chunksOf(messages, (x) => x.msg.value.length, Infinity, SEND_BYTES)) {
      const topicMessages = [cfg.topics.htmlPages, cfg.topics.deadLetter]
        .map((topic) => ({ topic, messages: group.filter((x) => x.topic === topic).map((x) => x.msg) }))
        .filter((t) => t.messages.length > 0);
      await producer.sendBatch({
        acks: -1,
        compression: compressionType(DEFAULT_COMPRESSION),
        topicMessages,
      });
    }
  }

  const done = Promise.withResolvers<void>();
  done.promise.catch(() => {}); // a caller that only calls stop() need not watch for crashes
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) done.reject(payload.error);
  });

  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: cfg.partitions,
    eachBatch: async ({
      batch,
      resolveOffset,
      heartbeat,
      commitOffsetsIfNecessary,
      uncommittedOffsets,
      isRunning,
      isStale,
    }) => {
      const timer = m.batchSeconds.startTimer();
      for (const chunk of chunksOf(
        batch.messages,
        (msg) => msg.value?.length ?? 0,
        CHUNK_PAGES,
        CHUNK_BYTES,
      )) {
        if (!isRunning() || isStale()) break;
        await send(batch.partition, await transformChunk(chunk));
        resolveOffset(chunk[chunk.length - 1]!.offset);
        await commitOffsetsIfNecessary(uncommittedOffsets());
        await heartbeat();
      }
      m.lag.set({ partition: String(batch.partition) }, Number(batch.offsetLag()));
      timer();
    },
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (ticker) clearInterval(ticker);
      await consumer.disconnect();
      await producer.disconnect();
      log.info('transformer: stopped');
      done.resolve();
    })());

  log.info(
    { groupId: cfg.groupId, from: cfg.topics.rawPages, to: cfg.topics.htmlPages },
    'transformer: running',
  );
  return { metrics, done: done.promise, stop };
}

function createMetrics(registry: Registry) {
  const registers = [registry];
  return {
    pages: new Counter({
      name: 'transformer_pages_total',
      help: 'Pages handled (converted or failed); rate() gives pages per second',
      registers,
    }),
    failures: new Counter({
      name: 'transformer_failures_total',
      help: 'Pages that could not be converted, by reason (sent to the dead-letter topic)',
      labelNames: ['reason'],
      registers,
    }),
    markers: new Counter({
      name: 'transformer_markers_total',
      help: 'Run markers passed on',
      labelNames: ['kind'],
      registers,
    }),
    undecodable: new Counter({
      name: 'transformer_undecodable_total',
      help: 'Records of the raw topic that are not raw page events (skipped)',
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'transformer_batch_seconds',
      help: 'Time to convert, write and commit one fetched batch',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new Gauge({
      name: 'transformer_consumer_lag',
      help: 'Records of the raw topic not yet transformed, per partition (at the end of the last batch)',
      labelNames: ['partition'],
      registers,
    }),
  };
}
