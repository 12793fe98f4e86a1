// The transformer service: raw pages topic → HTML pages topic (+ dead letters), partition p → p.
// At-least-once: a chunk's offsets are committed only after its output is acknowledged by Kafka.
import { Counter, Registry } from 'prom-client';
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env, type ServicesConfig } from '../lib/config.ts';
import { chunksOf } from '../lib/chunks.ts';
import { startConsumer, type ChunkContext, type Entry, type StageHandle } from '../lib/consumer.ts';
import { collectGarbage } from '../lib/gc.ts';
import { compressionType, createKafka, DEFAULT_COMPRESSION } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import { createLogger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import type { StageDeps } from '../lib/service.ts';
import { ConversionError } from './convert.ts';
import type { RawPageEvent } from '../schemas/index.ts';
import { failed, transformEvent, type Convert, type Transformed } from './pipeline.ts';

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

/** The CLI's probes and metrics (lib/service.ts); without them, metrics go to a registry of its own. */
export interface TransformerOptions extends Partial<StageDeps> {
  /** Seconds between progress lines per run (0: none). */
  progressEvery?: number;
  /** The storage → HTML converter (default convertPage); a replay after a converter fix uses the new one. */
  convert?: Convert;
}

const MiB = 1024 * 1024;
// Topics accept 16 MiB records (lib/kafka.ts); a produce request's batch per partition must fit too.
const MAX_RECORD_BYTES = 16 * MiB - 64 * 1024;
// Produce requests of at most 1 MiB of records: kafkajs holds each one several times over (records,
// batch, compressed copy) until it is acknowledged, and the indexer fetches these batches whole.
const SEND_BYTES = 1 * MiB;
// Work between heartbeats, and what is decoded and converted at once: conversion is synchronous CPU
// and a page's HTML and text weigh several times its storage, so keep each chunk short.
const CHUNK = { records: 100, bytes: 1 * MiB };
// Compressed bytes per fetch (a record larger than this still arrives, alone). kafkajs decompresses a
// whole fetch before the first chunk starts, and pages compress 4–20× (zstd), so 512 KiB on the wire
// is up to ~10 MiB held decoded; 1 MiB peaked ~20 MB higher (bench/README.md#end-to-end-memory).
const FETCH = { maxBytes: 512 * 1024, maxBytesPerPartition: 256 * 1024 };

interface Outgoing {
  key: Buffer | string | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

export async function startTransformer(
  cfg: TransformerConfig,
  opts: TransformerOptions = {},
): Promise<StageHandle> {
  const log = opts.log ?? createLogger('transformer');
  const metrics = opts.metrics ?? new Registry();
  const m = createMetrics(metrics);
  const kafka = createKafka(cfg, 'transformer', log);
  await ensureTopics(kafka, cfg);
  const codecs = await createCodecs(cfg);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();

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

  /** Converts and encodes one chunk, in order; a record that is not ours goes to the dead letters as it came. */
  async function transformChunk(entries: Entry<RawPageEvent>[], { partition, oversized }: ChunkContext) {
    const html: Outgoing[] = [];
    const dead: Outgoing[] = [];
    for (const entry of entries) {
      const { key, value, offset } = entry.message;
      if (entry.kind === 'skipped') {
        const headers = {
          'cks-skipped': entry.code,
          'cks-reason': entry.reason,
          'cks-topic': cfg.topics.rawPages,
        };
        dead.push({
          key,
          value,
          headers: { ...headers, 'cks-partition': String(partition), 'cks-offset': offset },
        });
        continue;
      }
      const raw = entry.value;
      const pageKey = key?.toString() ?? null;
      let out: Transformed = transformEvent(raw, Date.now(), opts.convert);
      // A page of megabytes: the converter's tree and strings, given back before the output is encoded and sent.
      if (oversized) collectGarbage({ release: true });
      let encoded = await codecs.htmlPages.encode(out.event);
      if (encoded.length > MAX_RECORD_BYTES && raw.page) {
        const tooLarge = `the HTML is ${encoded.length} bytes, over the topic's limit of ${MAX_RECORD_BYTES}`;
        out = failed(raw, raw.page, new ConversionError('too-large', tooLarge), Date.now());
        encoded = await codecs.htmlPages.encode(out.event);
      }
      html.push({ key: pageKey, value: encoded });
      if (out.kind === 'failure')
        dead.push({ key: pageKey, value: await codecs.deadLetter.encode(out.deadLetter) });
      account(out);
    }
    return { html, dead };
  }

  function account(out: Transformed): void {
    const { runId, sourceId } = out.event;
    if (out.kind === 'removal') return; // the indexer counts what a run removed
    if (out.kind === 'marker') {
      m.markers.inc({ kind: out.marker.kind });
      log.info(
        { runId, sourceId, marker: out.marker.kind, partition: out.marker.partition },
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
      const { pageId, reason } = out.event.failure;
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
    for (const group of chunksOf(messages, (x) => x.msg.value?.length ?? 0, Infinity, SEND_BYTES)) {
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

  const consumer = await startConsumer<RawPageEvent>({
    service: 'transformer',
    kafka,
    log,
    metrics,
    groupId: cfg.groupId,
    topic: cfg.topics.rawPages,
    decode: (value) => codecs.rawPages.decode(value),
    handle: async (entries, ctx) => send(ctx.partition, await transformChunk(entries, ctx)),
    chunk: CHUNK,
    fetch: FETCH,
    partitionsConcurrency: cfg.partitions,
    sessionTimeoutMs: cfg.sessionTimeoutMs,
    ...(opts.readyWhen ? { readyWhen: opts.readyWhen } : {}),
  });

  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      if (ticker) clearInterval(ticker);
      await consumer.stop();
      await producer.disconnect();
      log.info('transformer: stopped');
    })());
  const done = consumer.done.finally(async () => {
    if (ticker) clearInterval(ticker);
    await producer.disconnect().catch(() => {});
  });
  done.catch(() => {});

  log.info(
    { groupId: cfg.groupId, from: cfg.topics.rawPages, to: cfg.topics.htmlPages },
    'transformer: running',
  );
  return { metrics, done, stop };
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
  };
}
