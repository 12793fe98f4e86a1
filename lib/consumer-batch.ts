// The fetch loop of the consumer (lib/consumer.ts), for one fetched batch of one partition: decode each
// record or skip it with its reason, hand bounded chunks to the service, heartbeat between them, and
// commit a chunk's offsets only once the service says its output is acknowledged.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createChunkGate } from './chunk-gate.ts';
import { chunksOf } from './chunks.ts';
import { collectGarbage } from './gc.ts';
import type { EachBatchPayload, KafkaMessage } from './kafka.ts';
import type { Logger } from './log.ts';
import { Undecodable, type UndecodableCode } from './registry.ts';

/** One record of a chunk: decoded, or skipped with the reason (the service may still act on it). */
export type Entry<T> =
  | { kind: 'record'; value: T; message: KafkaMessage }
  | { kind: 'skipped'; code: UndecodableCode; reason: string; message: KafkaMessage };

export interface ChunkContext {
  topic: string;
  partition: number;
  /** Keeps the group session alive during long work inside a chunk (e.g. waiting for a store). */
  heartbeat(): Promise<void>;
  /**
   * The chunk is one record larger than a whole chunk: it runs alone (lib/chunk-gate.ts), collected
   * before and after (lib/gc.ts).
   */
  oversized: boolean;
}

export interface ChunkLimits {
  /** Records per chunk. */
  records: number;
  /** Value bytes per chunk (as fetched: compressed batches count at their decompressed size). */
  bytes: number;
}

export interface BatchLoop<T> {
  service: string;
  topic: string;
  log: Logger;
  metrics: Registry;
  chunk: ChunkLimits;
  decode(value: Buffer): Promise<T>;
  /** Does a chunk's work in order; resolves once its output is acknowledged (then it is committed). */
  handle(entries: Entry<T>[], ctx: ChunkContext): Promise<void>;
  /** False once the consumer stops or has crashed: no further chunk starts, nothing more is committed. */
  running(): boolean;
}

const RETRY_DECODE_MS = [200, 500, 1_000, 2_000, 5_000];

/** Makes the `eachBatch` callback of one consumer. */
export function batchLoop<T>(loop: BatchLoop<T>) {
  const m = loopMetrics(loop.service, loop.metrics);
  const gate = createChunkGate();

  /** Decodes, or says why not; waits (heartbeating) while the registry cannot be asked. */
  async function entryOf(message: KafkaMessage, ctx: ChunkContext): Promise<Entry<T> | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (message.value === null)
          throw new Undecodable('tombstone', 'the record has no value (a tombstone)');
        return { kind: 'record', value: await loop.decode(message.value), message };
      } catch (err) {
        if (err instanceof Undecodable) return skipped(message, ctx, err);
        if (!loop.running()) return null;
        if (attempt === 0)
          loop.log.warn(
            {
              err: (err as Error).message,
              topic: ctx.topic,
              partition: ctx.partition,
              offset: message.offset,
            },
            `${loop.service}: the schema registry cannot be asked; retrying the record`,
          );
        await ctx.heartbeat();
        await new Promise((r) =>
          setTimeout(r, RETRY_DECODE_MS[Math.min(attempt, RETRY_DECODE_MS.length - 1)]),
        );
      }
    }
  }

  function skipped(message: KafkaMessage, ctx: ChunkContext, err: Undecodable): Entry<T> {
    m.skipped.inc({ topic: ctx.topic, reason: err.code });
    loop.log.error(
      {
        topic: ctx.topic,
        partition: ctx.partition,
        offset: message.offset,
        reason: err.code,
        why: err.message,
      },
      `${loop.service}: skipped a record that is not ours (${err.code}): ${err.message}`,
    );
    return { kind: 'skipped', code: err.code, reason: err.message, message };
  }

  return async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const base = { topic: batch.topic, partition: batch.partition, heartbeat: payload.heartbeat };
    const timer = m.batchSeconds.startTimer();
    const chunks = chunksOf(
      batch.messages,
      (msg) => msg.value?.length ?? 0,
      loop.chunk.records,
      loop.chunk.bytes,
    );
    for (const chunk of chunks) {
      if (!loop.running() || !payload.isRunning() || payload.isStale()) break;
      const ctx: ChunkContext = { ...base, oversized: (chunk[0]!.value?.length ?? 0) > loop.chunk.bytes };
      await gate.enter(ctx.oversized);
      try {
        if (ctx.oversized) collectGarbage();
        const entries: Entry<T>[] = [];
        for (const message of chunk) {
          const entry = await entryOf(message, ctx);
          if (!entry) return;
          entries.push(entry);
        }
        await loop.handle(entries, ctx);
        if (ctx.oversized) collectGarbage();
      } finally {
        gate.leave(ctx.oversized);
      }
      if (!loop.running()) return; // crashed meanwhile: nothing more is committed
      const last = chunk[chunk.length - 1]!.offset;
      payload.resolveOffset(last);
      await payload.commitOffsetsIfNecessary({
        topics: [
          {
            topic: batch.topic,
            partitions: [{ partition: batch.partition, offset: String(BigInt(last) + 1n) }],
          },
        ],
      });
      m.lag.set(
        { partition: String(batch.partition) },
        Math.max(0, Number(batch.highWatermark) - 1 - Number(last)),
      );
      await payload.heartbeat();
    }
    timer();
  };
}

function loopMetrics(service: string, metrics: Registry) {
  const registers = [metrics];
  return {
    skipped: new Counter({
      name: `${service}_records_skipped_total`,
      help: 'Records that are not ours or are broken (tombstones, foreign or truncated frames, unknown schema ids): logged with topic, partition and offset, then skipped',
      labelNames: ['topic', 'reason'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: `${service}_batch_seconds`,
      help: 'Time to handle, write and commit one fetched batch',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    lag: new Gauge({
      name: `${service}_consumer_lag`,
      help: 'Records of the input topic not yet handled and committed, per partition',
      labelNames: ['partition'],
      registers,
    }),
  };
}
