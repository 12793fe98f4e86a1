// A compacted topic read whole and followed: every instance keeps the latest value of each key in
// memory (as Kafka Connect's workers keep the config topic). JSON values; null is a tombstone. Writes go
// through `put`, which applies the value at once (read-your-writes) and never lets an older record
// that the follower delivers later overwrite it: the record offset decides.
import { randomBytes } from 'node:crypto';
import type { Kafka, Producer } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';

export interface TopicView<T> {
  /** Resolves once the view holds everything the topic held when it started. */
  readonly ready: Promise<void>;
  get(key: string): T | undefined;
  values(): IterableIterator<T>;
  readonly size: number;
  /** Records that were not ours (not JSON, or not of the expected shape): skipped, never applied. */
  readonly skipped: number;
  /** Writes (null deletes) and applies it once Kafka acknowledged it. */
  put(key: string, value: T | null): Promise<void>;
  /** Called for every applied change, local or from another instance. */
  onChange(listener: (key: string, value: T | undefined) => void): void;
  close(): Promise<void>;
}

export async function openTopicView<T>(opts: {
  kafka: Kafka;
  producer: Producer;
  topic: string;
  parse: (json: unknown) => T | undefined;
  log: Logger;
}): Promise<TopicView<T>> {
  const { kafka, producer, topic, parse, log } = opts;
  const values = new Map<string, T>();
  const offsets = new Map<string, bigint>();
  const listeners: ((key: string, value: T | undefined) => void)[] = [];
  let skipped = 0;

  const apply = (key: string, value: T | null, offset: bigint) => {
    if ((offsets.get(key) ?? -1n) > offset) return; // older than what we already hold
    offsets.set(key, offset);
    if (value === null) {
      if (!values.delete(key)) return;
    } else values.set(key, value);
    for (const l of listeners) l(key, value ?? undefined);
  };

  const admin = kafka.admin();
  await admin.connect();
  let startHigh: Map<number, bigint>;
  try {
    startHigh = new Map(
      (await retryTransient(() => admin.fetchTopicOffsets(topic)))
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high) - 1n]),
    );
  } finally {
    await admin.disconnect();
  }
  let caughtUp!: () => void;
  const ready = new Promise<void>((resolve) => (caughtUp = resolve));
  if (startHigh.size === 0) caughtUp();

  // A group of its own, never committed: each instance reads the whole topic from the start.
  const groupId = `${topic}-view-${randomBytes(6).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString();
        let value: T | null | undefined = null;
        if (m.value) {
          try {
            value = parse(JSON.parse(m.value.toString('utf8')));
          } catch {
            value = undefined;
          }
        }
        if (key === undefined || value === undefined) {
          skipped++;
          log.warn(
            { topic, partition: batch.partition, offset: m.offset },
            'skipped a record that is not ours',
          );
          continue;
        }
        apply(key, value, BigInt(m.offset));
      }
      const last = startHigh.get(batch.partition);
      if (last !== undefined && BigInt(batch.lastOffset()) >= last) {
        startHigh.delete(batch.partition);
        if (startHigh.size === 0) caughtUp();
      }
    },
  });

  return {
    ready,
    get: (key) => values.get(key),
    values: () => values.values(),
    get size() {
      return values.size;
    },
    get skipped() {
      return skipped;
    },
    async put(key, value) {
      const [ack] = await producer.send({
        topic,
        acks: -1,
        messages: [{ key, value: value === null ? null : JSON.stringify(value) }],
      });
      apply(key, value, BigInt(ack?.baseOffset ?? '0'));
    },
    onChange: (listener) => void listeners.push(listener),
    async close() {
      await consumer.disconnect();
      const a = kafka.admin();
      await a.connect();
      await a.deleteGroups([groupId]).catch(() => {});
      await a.disconnect();
    },
  };
}

/** A topic created a moment ago may not have its leaders known yet: kafkajs marks that retriable. */
async function retryTransient<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (err) {
      if (i >= attempts || !(err as { retriable?: boolean }).retriable) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
