// Full pulls from the simulator into the real Kafka and registry: the run contract of
// docs/architecture.md as the transformer and indexer will see it, success and failure.
import { afterAll, describe, expect, it } from 'vitest';
import { indexLatest, latestKey, readLatest } from '../../lib/latest-pages.ts';
import { createCodecs, type Codecs } from '../../lib/registry.ts';
import { producerConfig, type ProducerConfig } from '../../producer/config.ts';
import { createRunWriter } from '../../producer/run-writer.ts';
import { runPull } from '../../producer/run.ts';
import type { FactsUpdate, RawPage, RawPageEvent, Run } from '../../schemas/index.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { isolatedEnv } from '../stack/services.ts';
import { captureLogger, expectedPageIds, simEnv } from './helpers.ts';
import { RAW_PAGE_DEFAULTS } from '../page-defaults.ts';
import { deleteTopics, readTopic, testKafka, type ReadRecord } from './kafka-read.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

async function setup(name: string, sim: SimHandle, extra: Record<string, string> = {}) {
  const cfg0 = producerConfig({ ...isolatedEnv(name), ...simEnv(sim), ...extra });
  const cfg: ProducerConfig = {
    ...cfg0,
    retry: { ...cfg0.retry, baseDelayMs: 5, maxDelayMs: 50, retryAfterCapMs: 50 },
  };
  const kafka = testKafka(cfg.services);
  cleanups.push(() => deleteTopics(kafka, cfg.services));
  return { cfg, kafka };
}

/** The latest-pages topic, tombstones as null values. */
async function latestRecords(cfg: ProducerConfig, codecs: Codecs) {
  return readTopic<RawPageEvent | null>(testKafka(cfg.services), cfg.services.topics.latestPages, (b) =>
    b ? codecs.latestPages.decode(b) : Promise.resolve(null),
  );
}

async function readRun(cfg: ProducerConfig, codecs: Codecs) {
  const kafka = testKafka(cfg.services);
  const raw = await readTopic<RawPageEvent>(kafka, cfg.services.topics.rawPages, (b) =>
    codecs.rawPages.decode(b),
  );
  const runs = await readTopic<Run>(kafka, cfg.services.topics.runs, (b) => codecs.runs.decode(b));
  return { raw, runs };
}

/** Per partition: the kinds in order, e.g. ['START', 'page', 'page', 'END']. */
function shapeByPartition(raw: ReadRecord<RawPageEvent>[]): Map<number, string[]> {
  const shape = new Map<number, string[]>();
  for (const r of raw) {
    const list = shape.get(r.partition) ?? [];
    list.push(r.value.marker ? r.value.marker.kind : 'page');
    shape.set(r.partition, list);
  }
  return shape;
}

const testPage = (id: string, spaceKey: string): RawPage => ({
  id,
  title: `Page ${id}`,
  status: 'current',
  version: 1,
  versionCreatedAt: null,
  parentId: null,
  space: { id: spaceKey, key: spaceKey, name: spaceKey, type: 'global', status: 'current' },
  body: '<p>x</p>',
  url: `https://x/wiki/spaces/${spaceKey}/pages/${id}`,
  fetchedAt: 0,
  ...RAW_PAGE_DEFAULTS,
});

/** Run writers of source `s` on a test's own topics, through one connected producer. */
async function writers(name: string, seed: number) {
  const sim = await startSim({ seed, spaces: 1, pages: 3 });
  cleanups.push(() => sim.close());
  const { cfg, kafka } = await setup(name, sim);
  const codecs = await createCodecs(cfg.services);
  const { ensureTopics } = await import('../../lib/kafka-topics.ts');
  await ensureTopics(kafka, cfg.services);
  const producer = kafka.producer();
  await producer.connect();
  const writer = (runId: string, replayOf: string | null = null) =>
    createRunWriter({
      producer,
      codecs,
      partitions: cfg.services.partitions,
      runId,
      sourceId: 's',
      compression: 'zstd',
      replayOf,
    });
  return { cfg, kafka, codecs, producer, writer };
}

describe('producer run', () => {
  it('emits START, every current page once, END with counts, and RUNNING then SUCCEEDED run records', async () => {
    const sim = await startSim({ seed: 11, spaces: 6, pages: 700 });
    cleanups.push(() => sim.close());
    const { cfg } = await setup('prod-run', sim);
    const { log, lines } = captureLogger();
    const summary = await runPull(cfg, { log });
    expect(summary.status).toBe('SUCCEEDED');
    expect(summary.pages).toBe(700);
    expect(summary.spaces).toBe(6);

    const codecs = await createCodecs(cfg.services);
    const { raw, runs } = await readRun(cfg, codecs);
    const partitions = cfg.services.partitions;

    // Every record carries the run and the source.
    expect(raw.every((r) => r.value.runId === summary.runId && r.value.sourceId === cfg.sourceId)).toBe(true);

    // START first and END last on every partition, pages between.
    const shape = shapeByPartition(raw);
    expect([...shape.keys()].sort()).toEqual([...Array(partitions).keys()]);
    for (const kinds of shape.values()) {
      expect(kinds[0]).toBe('START');
      expect(kinds.at(-1)).toBe('END');
      expect(kinds.slice(1, -1).every((k) => k === 'page')).toBe(true);
    }

    // Each current page exactly once, keyed <source>/<page id>; personal pages counted.
    const pages = raw.filter((r) => r.value.page);
    const ids = pages.map((r) => r.value.page!.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(expectedPageIds(sim));
    expect(pages.every((r) => r.key === latestKey(cfg.sourceId, r.value.page!.id))).toBe(true);
    // Each carries the policy's decision; personalPages counts every internal page (personal or restricted).
    const personal = pages.filter((r) => r.value.page!.space.type === 'personal');
    expect(personal.length).toBeGreaterThan(0);
    expect(personal.every((r) => r.value.page!.visibilityReason === 'personal-space')).toBe(true);
    const internal = pages.filter((r) => r.value.page!.visibility === 'internal').length;
    expect(internal).toBeGreaterThan(personal.length); // the generated site restricts about 3% of pages
    expect(pages.every((r) => r.value.page!.visibilityReason !== null)).toBe(true);
    expect(summary.personalPages).toBe(internal);
    const sample: RawPage = pages[0]!.value.page!;
    expect(sample.url).toMatch(new RegExp(`^${sim.baseUrl}/wiki/spaces/`));
    expect(sample.body.length).toBeGreaterThan(0);

    // END carries what the run wrote to its partition and the distinct total.
    for (const r of raw.filter((x) => x.value.marker?.kind === 'END')) {
      const m = r.value.marker!;
      expect(m.partition).toBe(r.partition);
      expect(m.partitions).toBe(partitions);
      expect(m.pagesInPartition).toBe(pages.filter((p) => p.partition === r.partition).length);
      expect(m.pagesTotal).toBe(700);
    }

    // The runs topic: RUNNING, then SUCCEEDED with counts and the markers' offsets.
    const mine = runs.filter((r) => r.key === summary.runId).map((r) => r.value);
    expect(mine.map((r) => r.status)).toEqual(['RUNNING', 'SUCCEEDED']);
    const done = mine[1]!;
    expect(done).toMatchObject({
      spaces: 6,
      pages: 700,
      personalPages: internal,
      error: null,
      topic: cfg.services.topics.rawPages,
    });
    expect(done.requests).toBeGreaterThanOrEqual(7);
    expect(done.bytes).toBe(pages.reduce((n, p) => n + p.raw.length, 0));
    for (const span of done.offsets) {
      const kinds = raw.filter((r) => r.partition === span.partition);
      expect(kinds.find((r) => r.offset === span.start)?.value.marker?.kind).toBe('START');
      expect(kinds.find((r) => r.offset === span.end)?.value.marker?.kind).toBe('END');
    }
    expect(mine[0]!.offsets.map((s) => s.start)).toEqual(done.offsets.map((s) => s.start));

    // The latest-pages topic holds each page once, keyed <source>/<page id>, with the same Avro bytes.
    const latest = await latestRecords(cfg, codecs);
    expect(latest.map((r) => r.key).sort()).toEqual(ids.map((id) => latestKey(cfg.sourceId, id)).sort());
    const rawOf = new Map(pages.map((p) => [p.value.page!.id, p.raw.subarray(5)]));
    expect(latest.every((r) => r.raw.subarray(5).equals(rawOf.get(r.value!.page!.id)!))).toBe(true);
    // …in the same partition as on the raw topic, so a send's two copies are the same records.
    const partitionOf = new Map(pages.map((p) => [p.value.page!.id, p.partition]));
    expect(latest.every((r) => r.partition === partitionOf.get(r.value!.page!.id))).toBe(true);

    // Every log line of the run names it and its source; nothing carries the token.
    const runLines = lines.filter((l) => l.includes('"runId"'));
    expect(runLines.length).toBeGreaterThan(0);
    expect(runLines.every((l) => l.includes(`"sourceId":"${cfg.sourceId}"`))).toBe(true);
    const secrets = [
      sim.token,
      Buffer.from(sim.token).toString('base64'),
      Buffer.from(`${sim.email}:${sim.token}`).toString('base64'),
    ];
    const everything = [
      ...lines,
      ...raw.map((r) => r.raw.toString('latin1')),
      ...runs.map((r) => JSON.stringify(r.value)),
    ];
    for (const s of secrets) expect(everything.filter((text) => text.includes(s))).toEqual([]);
  });

  it('a listing that keeps failing mid-run ends as FAILED with ABORT on every partition and no END', async () => {
    const sim = await startSim({ seed: 12, spaces: 5, pages: 600 });
    cleanups.push(() => sim.close());
    const { cfg: fast } = await setup('prod-fail', sim, {
      PRODUCER_CONCURRENCY: '1',
      PRODUCER_MAX_RETRIES: '2',
    });
    // The last space listed fails for good, after seconds of retries: the listing runs ahead of the
    // bodies, so that leaves the time for the other spaces' pages to be in Kafka by then.
    const cfg = { ...fast, retry: { ...fast.retry, baseDelayMs: 1000, maxDelayMs: 2000 } };
    const spaces = sim.admin.info().spaces.sort((a, b) => Number(a.id) - Number(b.id));
    sim.admin.addFault({ kind: '500', space: spaces.at(-1)!.id });
    const { log } = captureLogger();
    const summary = await runPull(cfg, { log });
    expect(summary.status).toBe('FAILED');
    expect(summary.error).toMatch(/500.*gave up after 2 retries/);

    const codecs = await createCodecs(cfg.services);
    const { raw, runs } = await readRun(cfg, codecs);
    expect(raw.some((r) => r.value.page)).toBe(true);
    for (const kinds of shapeByPartition(raw).values()) {
      expect(kinds[0]).toBe('START');
      expect(kinds.at(-1)).toBe('ABORT');
      expect(kinds).not.toContain('END');
    }
    const abort = raw.find((r) => r.value.marker?.kind === 'ABORT')!.value.marker!;
    expect(abort.reason).toBe(summary.error);
    const final = runs.filter((r) => r.key === summary.runId).at(-1)!.value;
    expect(final.status).toBe('FAILED');
    expect(final.error).toBe(summary.error);
    expect(final.offsets.every((s) => s.end !== null)).toBe(true);
  });

  it('an abort request (SIGTERM) ends the run in hand with ABORT', async () => {
    const sim = await startSim({ seed: 13, spaces: 3, pages: 300, latencyMs: 200 });
    cleanups.push(() => sim.close());
    const { cfg } = await setup('prod-stop', sim);
    const stop = new AbortController();
    const { log, lines } = captureLogger();
    const pending = runPull(cfg, { log, signal: stop.signal });
    await expect.poll(() => lines.some((l) => l.includes('run started')), { timeout: 20_000 }).toBe(true);
    stop.abort(new Error('stopped by SIGTERM'));
    const summary = await pending;
    expect(summary.status).toBe('FAILED');
    expect(summary.error).toBe('stopped by SIGTERM');
    const codecs = await createCodecs(cfg.services);
    const { raw } = await readRun(cfg, codecs);
    for (const kinds of shapeByPartition(raw).values()) expect(kinds.at(-1)).toBe('ABORT');
  });

  it('remove() sends removal events and tombstones the latest-pages topic; a replay leaves that topic alone', async () => {
    const { cfg, codecs, producer, writer } = await writers('prod-remove', 15);
    const first = writer('01JF0000000000000000000010');
    await first.start();
    await first.pages([testPage('1', 'A'), testPage('2', 'A'), testPage('3', 'A')]).acknowledged;
    await first.end({ requests: 0, retries: 0, rateLimited: 0 });
    const pull = writer('01JF0000000000000000000011');
    await pull.start();
    await pull.pages([testPage('1', 'A'), testPage('3', 'A')]).acknowledged;
    // A removed id is removed once; a page of this run is not removed by it, nor sent after it.
    await pull.remove([
      { pageId: '2', reason: 'gone' },
      { pageId: '3', reason: 'gone' },
    ]).acknowledged;
    await pull.remove([
      { pageId: '2', reason: 'gone' },
      { pageId: '9', reason: 'gone' },
    ]).acknowledged;
    await pull.pages([testPage('9', 'A')]).acknowledged;
    const run = await pull.end({ requests: 0, retries: 0, rateLimited: 0 });
    expect(run).toMatchObject({ pages: 2, removed: 2 });

    const replay = writer('01JF0000000000000000000012', run.runId);
    await replay.start();
    await replay.pages([{ ...testPage('1', 'A'), title: 'replayed' }]).acknowledged;
    await replay.remove([{ pageId: '3', reason: 'gone' }]).acknowledged;
    await replay.end({ requests: 0, retries: 0, rateLimited: 0 });
    await producer.disconnect();

    const { raw } = await readRun(cfg, codecs);
    const removals = raw.filter((r) => r.value.removal).map((r) => [r.value.runId, r.key, r.value.removal]);
    expect(removals.sort()).toEqual(
      [
        [run.runId, latestKey('s', '2'), { pageId: '2', reason: 'gone' }],
        [run.runId, latestKey('s', '9'), { pageId: '9', reason: 'gone' }],
        ['01JF0000000000000000000012', latestKey('s', '3'), { pageId: '3', reason: 'gone' }],
      ].sort(),
    );
    const ends = raw.filter((r) => r.value.marker?.kind === 'END' && r.value.runId === run.runId);
    expect(ends.every((r) => r.value.marker!.pagesTotal === 2)).toBe(true);
    // Each pull's pages, then tombstones for 2 and 9; nothing from the replay.
    const latest = await latestRecords(cfg, codecs);
    const byKey = (key: string) => latest.filter((r) => r.key === key).map((r) => r.value?.runId ?? null);
    expect(byKey('s/1')).toEqual(['01JF0000000000000000000010', run.runId]);
    expect(byKey('s/3')).toEqual(['01JF0000000000000000000010', run.runId]);
    expect(byKey('s/2')).toEqual(['01JF0000000000000000000010', null]);
    expect(byKey('s/9')).toEqual([null]);
    // A removal tombstones the page's facts key too (a facts update may be kept there).
    expect(byKey('s/2/facts')).toEqual([null]);
    expect(byKey('s/9/facts')).toEqual([null]);
    expect(latest).toHaveLength(9);
  });

  it('facts() sends facts updates as pages of the run and keeps them beside their pages in the latest-pages topic, where a replay applies the later one', async () => {
    const { cfg, kafka, codecs, producer, writer } = await writers('prod-facts', 16);
    const update = (id: string, title: string): FactsUpdate => ({
      id,
      version: 1,
      space: testPage(id, 'A').space,
      restricted: false,
      ancestorRestricted: true,
      ancestors: [{ id: '77', title }],
      labels: ['moved'],
      visibility: 'internal',
      visibilityReason: 'restricted-ancestor',
      fingerprint: `f-${title}`,
      fetchedAt: 1,
    });
    const first = writer('01JF0000000000000000000020');
    await first.start();
    await first.pages(['1', '2', '3'].map((id) => testPage(id, 'A'))).acknowledged;
    await first.end({ requests: 0, retries: 0, rateLimited: 0 });
    // Page 1: facts changed; page 2: facts changed, then a later run fetched it whole again.
    const refresh = writer('01JF0000000000000000000021');
    await refresh.start({ baseRunId: '01JF0000000000000000000020', fullAt: 0 });
    await refresh.facts([update('1', 'Parent'), update('2', 'Parent'), update('1', 'twice')]).acknowledged;
    refresh.keep(1);
    const run = await refresh.end({ requests: 0, retries: 0, rateLimited: 0 });
    expect(run).toMatchObject({ pages: 3, unchanged: 1, personalPages: 2 });
    const full = writer('01JF0000000000000000000022');
    await full.start();
    await full.pages([{ ...testPage('2', 'A'), title: 'Whole again' }]).acknowledged;
    await full.end({ requests: 0, retries: 0, rateLimited: 0 });
    await producer.disconnect();

    const { raw } = await readRun(cfg, codecs);
    const facts = raw.filter((r) => r.value.facts).map((r) => [r.key, r.value.facts!.ancestors]);
    expect(facts.sort()).toEqual([
      ['s/1', [{ id: '77', title: 'Parent' }]],
      ['s/2', [{ id: '77', title: 'Parent' }]],
    ]);
    const latest = await latestRecords(cfg, codecs);
    const partitionOf = (key: string) => new Set(latest.filter((r) => r.key === key).map((r) => r.partition));
    for (const id of ['1', '2']) expect(partitionOf(`s/${id}/facts`)).toEqual(partitionOf(`s/${id}`));

    // A rebuild from the topic: page 1 under its facts update, page 2 as fetched last, page 3 as it was.
    const index = await indexLatest(kafka, cfg.services.topics.latestPages, 's', codecs.latestPages);
    const rebuilt = new Map<string, RawPage>();
    await readLatest(kafka, codecs.latestPages, index, async (pages) => {
      for (const p of pages) rebuilt.set(p.id, p);
    });
    expect([...rebuilt.keys()].sort()).toEqual(['1', '2', '3']);
    expect(rebuilt.get('1')).toMatchObject({
      body: '<p>x</p>',
      ancestors: [{ id: '77', title: 'Parent' }],
      parentId: '77',
      labels: ['moved'],
      visibility: 'internal',
      visibilityReason: 'restricted-ancestor',
      fingerprint: 'f-Parent',
    });
    expect(rebuilt.get('2')).toMatchObject({ title: 'Whole again', ancestors: [], visibility: null });
    expect(rebuilt.get('3')).toMatchObject({ ancestors: [], fingerprint: null });
  });

  it('emits a page seen twice in one run (moved between spaces mid-pull) only once', async () => {
    const sim = await startSim({ seed: 14, spaces: 1, pages: 3 });
    cleanups.push(() => sim.close());
    const { cfg, kafka } = await setup('prod-dedupe', sim);
    const codecs = await createCodecs(cfg.services);
    const { ensureTopics } = await import('../../lib/kafka-topics.ts');
    await ensureTopics(kafka, cfg.services);
    const producer = kafka.producer();
    await producer.connect();
    const writer = createRunWriter({
      producer,
      codecs,
      partitions: cfg.services.partitions,
      runId: '01JF0000000000000000000001',
      sourceId: 's',
      compression: 'none',
    });
    const page = testPage;
    await writer.start();
    await writer.pages([page('1', 'A'), page('2', 'A')]).acknowledged;
    await writer.pages([page('2', 'B'), page('3', 'B')]).acknowledged;
    const run = await writer.end({ requests: 0, retries: 0, rateLimited: 0 });
    await producer.disconnect();
    expect(run.pages).toBe(3);
    const { raw } = await readRun(cfg, codecs);
    expect(
      raw
        .filter((r) => r.value.page)
        .map((r) => r.value.page!.id)
        .sort(),
    ).toEqual(['1', '2', '3']);
  });
});
