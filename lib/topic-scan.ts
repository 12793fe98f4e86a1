// Reading a bounded stretch of a topic without a consumer group's commits: from given offsets up to
// the end of each partition as it was when the scan began, or until the visitor says a partition is done.
// Replay and the runs listing read Kafka this way.
import { randomBytes } from 'node:crypto';
import type { Kafka } from './kafka.ts';
import type { Codec } from './registry.ts';

export interface ScanRecord<T> {
  partition: number;
  offset: string;
  key: string | null;
  value: T;
}

/** Gets one partition's records, batch by batch; resolves true when done with that partition. */
export type ScanVisitor<T> = (records: ScanRecord<T>[], partition: number) => Promise<boolean>;

export interface ScanOptions {
  /** Partition → first offset; default: every partition from its earliest offset. */
  starts?: Map<number, string>;
  /**
   * Which records to decode and pass on, from their key and place (default: every one that has a
   * value). It sees tombstones (null values) too, which are never decoded or passed on: a reader of a
   * compacted topic learns of deletions here, and skips what it does not need without decoding it.
   */
  select?: (record: { partition: number; offset: string; key: string | null; tombstone: boolean }) => boolean;
}

export interface ScanResult {
  /** Partitions that reached the end of what the topic held before the visitor said done. */
  exhausted: number[];
}

/**
 * Scans `codec.topic` from `opts.starts`. The visitor receives decoded records in partition order, batch
 * by batch; its promise is awaited, which is the backpressure. On a compacted topic the last record of a
 * partition is never compacted away (it is in the active segment), so the end is always seen.
 */
export async function scanTopic<T>(
  kafka: Kafka,
  codec: Pick<Codec<T>, 'topic' | 'decode'>,
  visit: ScanVisitor<T>,
  opts: ScanOptions = {},
): Promise<ScanResult> {
  const { starts, select } = opts;
  const topic = codec.topic;
  const admin = kafka.admin();
  await admin.connect();
  // Disconnected whatever fails: a connected admin keeps the process alive after the error is reported.
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const from = new Map<number, bigint>();
    const until = new Map<number, bigint>();
    for (const o of offsets) {
      const start = BigInt(starts?.get(o.partition) ?? o.low);
      if (starts && !starts.has(o.partition)) continue;
      if (start < BigInt(o.high)) {
        from.set(o.partition, start);
        until.set(o.partition, BigInt(o.high));
      }
    }
    const exhausted: number[] = [];
    if (from.size === 0) return { exhausted };
    const groupId = `scan-${topic}-${randomBytes(6).toString('hex')}`;
    const consumer = kafka.consumer({
      groupId,
      maxBytes: 64 * 1024 * 1024,
      maxBytesPerPartition: 32 * 1024 * 1024,
    });
    const open = new Set(from.keys());
    let finish!: () => void;
    let fail!: (err: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      void consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch, heartbeat }) => {
            const partition = batch.partition;
            if (!open.has(partition)) return;
            const first = from.get(partition)!;
            const last = until.get(partition)! - 1n;
            const records: ScanRecord<T>[] = [];
            for (const m of batch.messages) {
              const offset = BigInt(m.offset);
              if (offset < first || offset > last) continue;
              const key = m.key?.toString() ?? null;
              const tombstone = !m.value;
              if (select && !select({ partition, offset: m.offset, key, tombstone })) continue;
              if (!m.value) continue;
              records.push({ partition, offset: m.offset, key, value: await codec.decode(m.value) });
            }
            const done = await visit(records, partition);
            await heartbeat();
            const reachedEnd = batch.messages.some((m) => BigInt(m.offset) >= last);
            if (done) open.delete(partition);
            else if (reachedEnd) {
              open.delete(partition);
              exhausted.push(partition);
            }
            if (open.size === 0) finish();
          },
        })
        .catch(fail);
      for (const [partition, offset] of from) consumer.seek({ topic, partition, offset: offset.toString() });
      await finished;
    } finally {
      await consumer.disconnect();
      await admin.deleteGroups([groupId]).catch(() => {});
    }
    return { exhausted };
  } finally {
    await admin.disconnect();
  }
}
