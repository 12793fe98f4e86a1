// Every codec the producer may be configured with goes through the real broker and back: a codec
// kafkajs lacks (zstd is ours, lib/kafka.ts) would fail the send or the fetch here.
import { afterAll, describe, expect, it } from 'vitest';
import { COMPRESSIONS, compressionType } from '../../lib/kafka.ts';
import { producerConfig } from '../../producer/config.ts';
import { isolatedEnv } from '../stack/services.ts';
import { createTopic, readTopic, testKafka } from './kafka-read.ts';

const cfg = producerConfig({
  ...isolatedEnv('compression'),
  CONFLUENCE_DOMAIN: 'acme.atlassian.net',
  CONFLUENCE_EMAIL: 'me@example.com',
  CONFLUENCE_API_TOKEN: 'x',
});
const kafka = testKafka(cfg.services);
const topics: string[] = [];
afterAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => {});
  await admin.disconnect();
});

describe('compression codecs', () => {
  it('defaults to zstd', () => expect(cfg.compression).toBe('zstd'));

  it.each(COMPRESSIONS)('%s batches round-trip through the broker', async (compression) => {
    const topic = `${cfg.services.topics.rawPages}-${compression}`;
    topics.push(topic);
    await createTopic(kafka, topic);
    const producer = kafka.producer();
    await producer.connect();
    const values = Array.from({ length: 200 }, (_, i) => `<p>page ${i} ${'storage '.repeat(i % 50)}</p>`);
    await producer.send({
      topic,
      acks: -1,
      compression: compressionType(compression),
      messages: values.map((value, i) => ({ key: String(i), value })),
    });
    await producer.disconnect();
    const read = await readTopic(kafka, topic, (b) => Promise.resolve(b.toString()));
    expect(read.map((r) => r.value)).toEqual(values);
  });
});
