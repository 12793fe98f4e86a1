// Topics someone created by hand with the wrong partition counts are refused at start with both
// names and counts, against the real broker: the transformer's p → p and a page's latest records both
// rely on the pages topics sharing the raw topic's count.
import { afterAll, describe, expect, it } from 'vitest';
import { servicesConfig } from '../../lib/config.ts';
import { UserError } from '../../lib/errors.ts';
import { ensureTopics } from '../../lib/kafka-topics.ts';
import { createTopic, deleteTopics, testKafka } from '../producer/kafka-read.ts';
import { isolatedEnv } from '../stack/services.ts';

const configs: ReturnType<typeof servicesConfig>[] = [];
afterAll(async () => {
  for (const cfg of configs) await deleteTopics(testKafka(cfg), cfg);
});

describe('ensureTopics', () => {
  it.each(['htmlPages', 'latestPages'] as const)(
    'refuses a %s topic whose partition count differs from the raw topic’s, naming both',
    async (kind) => {
      const cfg = servicesConfig(isolatedEnv(`topics-${kind}`, { TOPIC_PARTITIONS: '3' }));
      configs.push(cfg);
      const kafka = testKafka(cfg);
      await createTopic(kafka, cfg.topics[kind], 2);
      const err = await ensureTopics(kafka, cfg).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toBe(
        `Topics ${cfg.topics.rawPages} (3 partitions) and ${cfg.topics[kind]} (2) differ in partition count`,
      );
      expect((err as UserError).hint).toMatch(/same partition count/);
    },
  );

  it('creates every missing topic and returns the pages topics’ partition count', async () => {
    const cfg = servicesConfig(isolatedEnv('topics-ok', { TOPIC_PARTITIONS: '3' }));
    configs.push(cfg);
    expect(await ensureTopics(testKafka(cfg), cfg)).toBe(3);
  });
});
