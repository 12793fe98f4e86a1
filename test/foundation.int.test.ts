// The wiring, end to end on the real stack: Avro through the registry, Kafka round trip,
// Elasticsearch index and search, and an alias moved between two indices in one _aliases call.
import { afterAll, describe, expect, it } from 'vitest';
import { createKafka } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import { createCodecs } from '../lib/registry.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import type { RawPageEvent } from '../schemas/index.ts';
import { RAW_PAGE_DEFAULTS } from './page-defaults.ts';
import { isolatedConfig } from './stack/services.ts';

const cfg = isolatedConfig('foundation');
const log = createLogger('test');
const es = createElasticsearch(cfg);

afterAll(async () => {
  await es.indices.delete({ index: `${cfg.indexPrefix}-*` }).catch(() => {});
  await es.close();
});

describe('real stack wiring', () => {
  it('round-trips an Avro record through the registry and Kafka', async () => {
    const kafka = createKafka(cfg, 'foundation-test', log);
    await ensureTopics(kafka, cfg);
    const codecs = await createCodecs(cfg);
    const event: RawPageEvent = {
      runId: '01JF0000000000000000000000',
      sourceId: 'acme',
      page: {
        id: '42',
        title: 'Ünïcode & <title>',
        status: 'current',
        version: 3,
        versionCreatedAt: '2026-01-02T03:04:05.000Z',
        parentId: null,
        space: { id: '7', key: '~abc', name: 'Personal', type: 'personal', status: 'current' },
        body: '<p>hello</p><![CDATA[x]]>',
        url: 'https://acme.atlassian.net/wiki/spaces/~abc/pages/42',
        fetchedAt: 1_700_000_000_000,
        ...RAW_PAGE_DEFAULTS,
      },
      marker: null,
      removal: null,
      facts: null,
    };
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cfg.topics.rawPages,
      messages: [{ key: '42', value: await codecs.rawPages.encode(event) }],
    });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `${cfg.indexPrefix}-g` });
    await consumer.connect();
    await consumer.subscribe({ topic: cfg.topics.rawPages, fromBeginning: true });
    const received = await new Promise<{ key: string; value: RawPageEvent }>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            resolve({ key: message.key!.toString(), value: await codecs.rawPages.decode(message.value!) });
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
    expect(received.key).toBe('42');
    expect(received.value).toEqual(event);
    expect(codecs.rawPages.schemaId).toBeGreaterThan(0);
  });

  it('indexes, searches and flips an alias atomically', async () => {
    const alias = cfg.indexPrefix;
    const [a, b] = [`${alias}-a`, `${alias}-b`];
    await es.indices.create({ index: a });
    await es.indices.create({ index: b });
    await es.bulk({ refresh: true, operations: [{ index: { _index: a, _id: '1' } }, { title: 'old page' }] });
    await es.bulk({
      refresh: true,
      operations: [
        { index: { _index: b, _id: '1' } },
        { title: 'new page' },
        { index: { _index: b, _id: '2' } },
        { title: 'another new page' },
      ],
    });
    await es.indices.updateAliases({ actions: [{ add: { index: a, alias } }] });
    expect((await es.count({ index: alias })).count).toBe(1);

    await es.indices.updateAliases({
      actions: [{ remove: { index: a, alias } }, { add: { index: b, alias } }],
    });
    const hits = await es.search<{ title: string }>({ index: alias, query: { match: { title: 'new' } } });
    expect(hits.hits.hits.map((h) => h._source?.title).sort()).toEqual(['another new page', 'new page']);
    expect(Object.keys(await es.indices.getAlias({ name: alias }))).toEqual([b]);
  });
});
