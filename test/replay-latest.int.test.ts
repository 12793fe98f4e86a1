// Rebuilding a source from the latest-pages topic alone: two sources pulled into the real pipeline
// (transformer and indexer running), one refreshed after an edit and deletions in Confluence, then its
// simulator is shut down and the source is replayed from Kafka. The new run flips under the usual guards and
// the alias holds exactly the site's pages, at their latest versions, and nothing of the other source.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { servicesConfig } from '../lib/config.ts';
import { createKafka } from '../lib/kafka.ts';
import { createCodecs } from '../lib/registry.ts';
import { newRunId } from '../lib/run-id.ts';
import { readRuns } from '../lib/runs.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { replayRun, replaySource } from '../ops/replay.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { startIndexer } from '../indexer/service.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { aliasName } from '../indexer/index-names.ts';
import type { Run } from '../schemas/index.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { cleanUp, runDecided } from './indexer/fixtures.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('replay-latest');
log.level = 'warn';

let site: SimHandle;
let other: SimHandle;
let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
const services = () => servicesConfig(env);
const simEnv = (sim: SimHandle, sourceId: string) => ({
  ...env,
  CONFLUENCE_BASE_URL: sim.baseUrl,
  CONFLUENCE_EMAIL: sim.email,
  CONFLUENCE_API_TOKEN: sim.token,
  SOURCE_ID: sourceId,
});

async function waitLive(runId: string) {
  const client = createElasticsearch(services());
  const state = await runDecided(createRunStore(client, services().indexPrefix), runId, 120_000);
  await client.close();
  expect(state.status, state.reason ?? '').toBe('flipped');
}

async function pull(sim: SimHandle, sourceId: string) {
  const summary = await runPull(producerConfig(simEnv(sim, sourceId)), { log });
  expect(summary.status, summary.error ?? '').toBe('SUCCEEDED');
  await waitLive(summary.runId);
  return summary;
}

async function aliasDocs(sourceId: string) {
  const client = createElasticsearch(services());
  const res = await client.search<{ title: string; url: string; version: number; runId: string }>({
    index: aliasName(services().indexPrefix, sourceId),
    size: 10_000,
    _source: ['title', 'url', 'version', 'runId'],
  });
  await client.close();
  return new Map(res.hits.hits.map((h) => [h._id!, h._source!]));
}

beforeAll(async () => {
  [site, other] = await Promise.all([
    startSim({ seed: 1601, spaces: 4, pages: 160 }),
    startSim({ seed: 1602, spaces: 2, pages: 50 }),
  ]);
  env = isolatedEnv('replay-latest', { INDEXER_SWEEP_SECONDS: '1' });
  transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log });
});

afterAll(async () => {
  await transformer?.stop();
  await indexer?.stop();
  await Promise.all([site?.close().catch(() => {}), other?.close().catch(() => {})]);
  if (env) await cleanUp(services());
});

describe('replay of a source from the latest-pages topic', () => {
  let expected: string[];
  let deleted: string[];
  const edited = { id: '', title: 'Edited before the second pull' };

  it('two pulls of the site (one with an edit and deletions) and one of another source go live', async () => {
    await pull(site, 'site');
    await pull(other, 'other');
    const ids = expectedPageIds(site);
    deleted = ids.filter((_, i) => i % 12 === 5);
    for (const id of deleted) site.admin.deletePage(id);
    edited.id = ids.find((id) => !deleted.includes(id))!;
    site.admin.editPage(edited.id, { title: edited.title, body: '<p>the second version</p>' });
    // An incremental refresh: the pages it does not send are kept from the live version, and are in the
    // latest-pages topic only as an earlier run wrote them.
    const refresh = await pull(site, 'site');
    expect(refresh.removed).toBe(deleted.length);
    expect(refresh.unchanged).toBeGreaterThan(0);
    expected = expectedPageIds(site);
    expect(expected).toHaveLength(ids.length - deleted.length);
    expect([...(await aliasDocs('site')).keys()].sort()).toEqual(expected);
  });

  it('with the simulator shut down, a replay rebuilds the site: a new run flips with exactly its pages', async () => {
    await site.close();
    const before = await aliasDocs('site');
    const replay = await replaySource(services(), { sourceId: 'site', log });
    expect(replay).toMatchObject({ sourceId: 'site', from: 'latest', pages: expected.length });
    expect(replay.replayOf).toBe(services().topics.latestPages);
    expect(replay.warning).toBeUndefined();
    await waitLive(replay.runId);

    const docs = await aliasDocs('site');
    expect([...docs.keys()].sort()).toEqual(expected);
    // Every page is the replay's, at the version the last pull saw; nothing of the other source.
    expect([...docs.values()].every((d) => d.runId === replay.runId)).toBe(true);
    for (const [id, d] of docs) expect(d.version).toBe(before.get(id)!.version);
    expect(docs.get(edited.id)!.title).toBe(edited.title);
    for (const id of deleted) expect(docs.has(id)).toBe(false);
    expect([...docs.values()].every((d) => d.url.startsWith(site.baseUrl))).toBe(true);

    // A full run on the runs topic, linked to the latest-pages topic.
    const kafka = createKafka(services(), 'replay-latest-test', log);
    const run = (await readRuns(kafka, await createCodecs(services()))).get(replay.runId)!;
    expect(run).toMatchObject({ status: 'SUCCEEDED', baseRunId: null, pages: expected.length, removed: 0 });
    expect(run.replayOf).toBe(services().topics.latestPages);
    expect(run.spaces).toBeGreaterThan(0);
  });

  it('the other source is untouched and can be rebuilt on its own', async () => {
    const replay = await replaySource(services(), { sourceId: 'other', log });
    expect(replay.pages).toBe(expectedPageIds(other).length);
    await waitLive(replay.runId);
    expect([...(await aliasDocs('other')).keys()].sort()).toEqual(expectedPageIds(other));
  });

  it('an unknown source is refused, naming the sources the topic holds', async () => {
    const err = await replaySource(services(), { sourceId: 'nope', log }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/holds no current page of source nope/);
    expect((err as { hint?: string }).hint).toMatch(/It holds pages of: other, site\b/);
  });

  it('a replay of one incremental run is refused, pointing at the replay of its source, which warns when the topic lacks pages', async () => {
    // An incremental run's record as the producer writes it (baseRunId set): its records are only changes.
    const cfg = services();
    const kafka = createKafka(cfg, 'replay-latest-test', log);
    const codecs = await createCodecs(cfg);
    const producer = kafka.producer();
    await producer.connect();
    const runId = newRunId();
    const base = [...(await readRuns(kafka, codecs)).values()].find((r) => r.sourceId === 'site')!;
    const incremental: Run = {
      ...base,
      runId,
      baseRunId: base.runId,
      replayOf: null,
      pages: 999,
      unchanged: 990,
    };
    await producer.send({
      topic: cfg.topics.runs,
      messages: [{ key: runId, value: await codecs.runs.encode(incremental) }],
    });
    await producer.disconnect();
    const err = await replayRun(cfg, { runId, from: 'raw', log }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/is an incremental refresh/);
    expect((err as { hint?: string }).hint).toContain('npm run ops -- replay --source site');

    // The newest run had pages the topic does not hold (as after an upgrade): the replay says so.
    const replay = await replaySource(cfg, { sourceId: 'site', log });
    expect(replay.warning).toMatch(
      new RegExp(`holds ${expected.length} pages of site, its newest run ${runId} had 999`),
    );
    expect(replay.warning).toContain('run --full');
  });
});
