// Records that are not ours never wedge a partition: garbage bytes, a tombstone, a frame with a schema
// id the registry does not know, a truncated frame and an empty value, on every partition of the raw
// and of the HTML topic while the pipeline runs. Both stages stay up and count every one (the
// transformer also dead-letters them, bytes unchanged), and the next run goes live with exactly the
// site's pages.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { servicesConfig } from '../lib/config.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createKafka, type Producer } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { createCodecs, type Codecs } from '../lib/registry.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { startIndexer } from '../indexer/service.ts';
import { aliasName } from '../indexer/index-names.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { cleanUp, eventually, runDecided } from './indexer/fixtures.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { isolatedEnv } from './stack/services.ts';
import { readUntil } from './transformer/service-helpers.ts';

const log = createLogger('bad-records');
log.level = 'fatal';
const SOURCE = 'bad-records';
const KINDS = ['not-schema-framed', 'tombstone', 'unknown-schema', 'malformed', 'empty'];

let sim: SimHandle;
let env: Record<string, string>;
let codecs: Codecs;
let producer: Producer;
const metrics = { transformer: new Registry(), indexer: new Registry() };
let transformer: StageHandle;
let indexer: StageHandle;
const services = () => servicesConfig(env);

beforeAll(async () => {
  sim = await startSim({ seed: 9, spaces: 3, pages: 60 });
  env = isolatedEnv('bad-records', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
  });
  transformer = await startTransformer(transformerConfig(env), {
    log,
    metrics: metrics.transformer,
    progressEvery: 0,
  });
  indexer = await startIndexer(indexerConfig(env), { log, metrics: metrics.indexer });
  codecs = await createCodecs(services());
  producer = createKafka(services(), 'test-bad-records', log).producer();
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await transformer?.stop();
  await indexer?.stop();
  await sim?.close().catch(() => {});
  if (env) await cleanUp(services());
});

async function pullLive(): Promise<string> {
  const pull = await runPull(producerConfig(env), { log });
  expect(pull.status, pull.error ?? '').toBe('SUCCEEDED');
  const es = createElasticsearch(services());
  try {
    const state = await runDecided(createRunStore(es, services().indexPrefix), pull.runId, 120_000);
    expect(state.status, state.reason ?? '').toBe('flipped');
    return state.index;
  } finally {
    await es.close();
  }
}

/** The five kinds of bad record, as values (a real frame of the topic's own schema gives the truncated one). */
function badValues(valid: Buffer): (Buffer | null)[] {
  const unknownId = Buffer.alloc(5);
  unknownId.writeInt32BE(0x7ffffff0, 1);
  return [
    Buffer.from('{"this is":"not an avro frame"}'),
    null,
    Buffer.concat([unknownId, valid.subarray(5)]),
    valid.subarray(0, valid.length - 7),
    Buffer.alloc(0),
  ];
}

const skipped = async (registry: Registry, name: string) =>
  ((await registry.getSingleMetric(name)?.get())?.values ?? []).map((v) => ({
    topic: String(v.labels.topic),
    reason: String(v.labels.reason),
    count: v.value,
  }));

it('skips and counts every bad record on both topics, stays up, and the next run goes live exactly', async () => {
  const cfg = services();
  await pullLive();

  const rawEvent = await codecs.rawPages.encode({
    runId: 'R',
    sourceId: SOURCE,
    page: null,
    marker: {
      kind: 'START',
      partition: 0,
      partitions: 1,
      pagesInPartition: 0,
      pagesTotal: 0,
      reason: null,
      at: 1,
      replayOf: null,
      refresh: null,
    },
    removal: null,
  });
  const htmlEvent = await codecs.htmlPages.encode({
    runId: 'R',
    sourceId: SOURCE,
    page: null,
    failure: { pageId: '1', reason: 'a reason long enough to truncate' },
    marker: null,
    removal: null,
  });
  for (const [topic, valid] of [
    [cfg.topics.rawPages, rawEvent],
    [cfg.topics.htmlPages, htmlEvent],
  ] as const) {
    const messages = Array.from({ length: cfg.partitions }, (_, partition) =>
      badValues(valid).map((value) => ({ partition, key: `bad-${partition}`, value })),
    ).flat();
    await producer.send({ topic, acks: -1, messages });
  }

  const expected = (topic: string) =>
    KINDS.map((reason) => ({ topic, reason, count: cfg.partitions })).sort((a, b) =>
      a.reason.localeCompare(b.reason),
    );
  const byReason = (rows: { reason: string }[]) => [...rows].sort((a, b) => a.reason.localeCompare(b.reason));
  expect(
    await eventually(async () => {
      const [t, i] = [
        await skipped(metrics.transformer, 'transformer_records_skipped_total'),
        await skipped(metrics.indexer, 'indexer_records_skipped_total'),
      ];
      return t.length === KINDS.length && i.length === KINDS.length
        ? { t: byReason(t), i: byReason(i) }
        : undefined;
    }, 'every bad record counted'),
  ).toEqual({ t: expected(cfg.topics.rawPages), i: expected(cfg.topics.htmlPages) });

  // The transformer's copies on the dead-letter topic: the bytes as they came, the reason in headers.
  const dead = await readUntil(
    createKafka(cfg, 'test-dead-letter', log),
    cfg.topics.deadLetter,
    async (b) => b,
    (records) => records.filter((r) => r.headers['cks-skipped']).length >= KINDS.length * cfg.partitions,
  );
  const copies = dead.filter((r) => r.headers['cks-skipped']);
  expect(copies).toHaveLength(KINDS.length * cfg.partitions);
  for (const copy of copies) {
    expect(copy.headers['cks-topic']).toBe(cfg.topics.rawPages);
    expect(copy.key).toBe(`bad-${copy.headers['cks-partition']}`);
    expect(KINDS).toContain(copy.headers['cks-skipped']);
  }

  // Both stages are still up, and the next run goes live with exactly the site's pages.
  const ended = await Promise.race([
    Promise.allSettled([transformer.done, indexer.done]).then(() => 'ended'),
    new Promise((r) => setTimeout(() => r('running'), 200)),
  ]);
  expect(ended).toBe('running');
  const index = await pullLive();
  const es = createElasticsearch(cfg);
  try {
    const alias = aliasName(cfg.indexPrefix, SOURCE);
    expect(Object.keys(await es.indices.getAlias({ name: alias }))).toEqual([index]);
    const hits = await es.search({ index: alias, size: 1000, _source: false });
    expect(hits.hits.hits.map((h) => h._id).sort()).toEqual(expectedPageIds(sim));
  } finally {
    await es.close();
  }
});
