// A test's own topics: made, read back to the high watermark (decoded, for assertions), deleted.
import { createKafka, type Kafka } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import type { ServicesConfig } from '../../lib/config.ts';

export interface ReadRecord<T> {
  partition: number;
  offset: string;
  key: string | null;
  raw: Buffer;
  value: T;
}

export function testKafka(cfg: ServicesConfig): Kafka {
  return createKafka(cfg, 'producer-test', createLogger('producer-test'));
}

export async function readTopic<T>(
  kafka: Kafka,
  topic: string,
  decode: (b: Buffer) => Promise<T>,
): Promise<ReadRecord<T>[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Set(ends.filter((e) => Number(e.high) > 0).map((e) => e.partition));
  const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
  const out: ReadRecord<T>[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `${topic}-reader-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          out.push({
            partition,
            offset: message.offset,
            key: message.key?.toString() ?? null,
            raw: message.value!,
            value: await decode(message.value!),
          });
          if (Number(message.offset) + 1 >= high.get(partition)!) remaining.delete(partition);
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** A topic of `partitions`, its leaders elected, before a test writes to it. */
export async function createTopic(kafka: Kafka, topic: string, partitions = 1): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
}

export async function deleteTopics(kafka: Kafka, cfg: ServicesConfig): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: Object.values(cfg.topics) }).catch(() => {});
  await admin.disconnect();
}
