// The shared consumer loop on the real broker: a member the group went on without (its session lapsed
// mid-chunk, as on a starved machine) rejoins and does the uncommitted chunk again; it does not crash.
import { afterAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startConsumer, type Entry } from '../../lib/consumer.ts';
import { createKafka, groupMembershipLost } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { createTopic, deleteTopics } from '../producer/kafka-read.ts';
import { isolatedConfig } from '../stack/services.ts';

const cfg = isolatedConfig('consumer');
const log = createLogger('test-consumer');
const kafka = createKafka(cfg, 'test-consumer', log);
const topic = cfg.topics.rawPages;

afterAll(() => deleteTopics(kafka, cfg));

describe('consumer loop', () => {
  it('a session that lapses mid-chunk rejoins and redoes the chunk, without crashing', async () => {
    await createTopic(kafka, topic);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: ['a', 'b', 'c'].map((v) => ({ key: v, value: v })) });
    await producer.disconnect();

    const handled: string[][] = [];
    const membershipErrors: string[] = [];
    const finished = Promise.withResolvers<void>();
    const sessionTimeoutMs = 6_000; // the broker's smallest allowed session
    const consumer = await startConsumer<string>({
      service: 'test',
      kafka,
      log,
      metrics: new Registry(),
      groupId: `${cfg.indexPrefix}-consumer-g`,
      topic,
      decode: async (value) => value.toString(),
      async handle(entries: Entry<string>[], ctx) {
        handled.push(entries.map((e) => (e.kind === 'record' ? e.value : e.kind)));
        if (handled.length === 1) {
          // No heartbeat for longer than the session: the coordinator drops this member.
          await new Promise((r) => setTimeout(r, sessionTimeoutMs + 4_000));
          try {
            await ctx.heartbeat();
          } catch (err) {
            membershipErrors.push(groupMembershipLost(err) ? 'lost' : String(err));
            throw err;
          }
        } else finished.resolve();
      },
      chunk: { records: 100, bytes: 1 << 20 },
      fetch: { maxBytes: 1 << 20, maxBytesPerPartition: 1 << 19 },
      partitionsConcurrency: 1,
      sessionTimeoutMs,
    });
    try {
      const outcome = await Promise.race([
        finished.promise.then(() => 'redone'),
        consumer.done.then(
          () => 'stopped',
          (err: Error) => `crashed: ${err.message}`,
        ),
        new Promise((r) => setTimeout(() => r('timed out'), 60_000)),
      ]);
      expect(outcome).toBe('redone');
      expect(membershipErrors).toEqual(['lost']);
      // The first chunk was not committed, so it came again whole.
      expect(handled[0]).toEqual(['a', 'b', 'c']);
      expect(handled.at(-1)).toEqual(['a', 'b', 'c']);
    } finally {
      await consumer.stop();
    }
    await expect(consumer.done).resolves.toBeUndefined();
  }, 90_000);
});
