// Crash safety: the indexer killed mid-run (pages written, offsets not committed) and again after the
// last marker (just before the flip), then restarted: the run completes and flips exactly once. The
// same for a refresh, killed also right after the copy of its base: no partial index ever goes live,
// a restart never leaves the base write-blocked, and it flips once with exactly the new version.
import { afterAll, expect, it } from 'vitest';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { aliasName } from '../../indexer/index-names.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import type { CrashPoint } from '../../indexer/crash.ts';
import { startIndexer } from '../../indexer/service.ts';
import { isolatedEnv } from '../stack/services.ts';
import { cleanUp, eventually, openHtmlTopic, pages, runDecided } from './fixtures.ts';

// Small bulks and fetches, so that the run spans many batches and a crash lands in the middle.
const cfg = indexerConfig(
  isolatedEnv('indexer-crash', { INDEX_BULK_MAX_DOCS: '100', INDEXER_FETCH_MAX_BYTES: String(1024 * 1024) }),
);
const source = 'acme';
const alias = aliasName(cfg.services.indexPrefix, source);
const es = createElasticsearch(cfg.services);
const store = createRunStore(es, cfg.services.indexPrefix);
const log = createLogger('test-indexer');

afterAll(async () => {
  await es.close();
  await cleanUp(cfg.services);
});

const flips = async (handle: { metrics: { getSingleMetricAsString(name: string): Promise<string> } }) =>
  Number(
    /outcome="flipped"[^\n]* (\d+)/.exec(
      await handle.metrics.getSingleMetricAsString('indexer_runs_total'),
    )?.[1] ?? 0,
  );

it('completes and flips a run exactly once across two crashes and a restart', async () => {
  const topic = await openHtmlTopic(cfg.services);
  const run = await topic.start(source);
  const all = pages(0, 3000, { html: `<p>${'x'.repeat(2000)}</p>` });
  await topic.pages(run, all.slice(0, 1500));

  // 1. Killed mid-run: after a few bulk requests, before any commit of them.
  let bulks = 0;
  const crashAt =
    (target: CrashPoint, after = 1) =>
    (point: CrashPoint) =>
      point === target && ++bulks >= after;
  const first = await startIndexer(cfg, { log, crashAt: crashAt('after-bulk', 3) });
  await expect(first.done).rejects.toThrow('simulated crash at after-bulk');
  const runIndex = `${alias}-${run.runId.toLowerCase()}`;
  await es.indices.refresh({ index: runIndex });
  const { count: indexed } = await es.count({ index: runIndex });
  expect(indexed).toBeGreaterThan(0);
  expect(indexed).toBeLessThan(1500);
  expect(await es.indices.existsAlias({ name: alias })).toBe(false);

  // 2. The rest of the run arrives; killed again after the last marker, just before the flip.
  await topic.pages(run, all.slice(1500));
  await topic.end(run);
  const second = await startIndexer(cfg, { log, crashAt: crashAt('before-flip') });
  await expect(second.done).rejects.toThrow('simulated crash at before-flip');
  expect(await es.indices.existsAlias({ name: alias })).toBe(false);
  expect((await store.get(run.runId))?.status).toBe('indexing');
  expect(await flips(second)).toBe(0);

  // 3. Restarted: recovers the complete-but-undecided run and flips it, once.
  const third = await startIndexer(cfg, { log });
  try {
    const state = await eventually(async () => {
      const s = await store.get(run.runId);
      return s?.status === 'flipped' ? s : undefined;
    }, 'the run flipped after the restart');
    expect(state).toMatchObject({ docs: 3000, failures: 0, pagesTotal: 3000 });
    expect((await es.count({ index: alias })).count).toBe(3000);
    expect(Object.keys(await es.indices.getAlias({ name: alias }))).toEqual([state.index]);
    // Redelivered markers (uncommitted before the crash) reach the restarted indexer: still one flip.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await flips(third)).toBe(1);
    expect((await store.get(run.runId))?.flippedAt).toBe(state.flippedAt);
  } finally {
    await third.stop();
    await topic.close();
  }
});

const refreshAlias = aliasName(cfg.services.indexPrefix, 'refreshed');
const liveIndex = async () => Object.keys(await es.indices.getAlias({ name: refreshAlias }));
const writeBlocked = async (index: string) =>
  (await es.indices.getSettings({ index, flat_settings: true }))[index]?.settings?.['index.blocks.write'];

it('never flips a partial refresh across three crashes, and the restarted indexer flips it exactly once', async () => {
  const topic = await openHtmlTopic(cfg.services);
  const big = { html: `<p>${'x'.repeat(2000)}</p>` };
  // The base: 1,200 pages, live.
  const first = await startIndexer(cfg, { log });
  const baseRun = await topic.run('refreshed', pages(0, 1200, big));
  const base = await runDecided(store, baseRun.runId);
  expect(base.status).toBe('flipped');
  await first.stop();

  // The refresh: pages 0–799 edited, 1100–1199 removed, 1200–1249 new.
  const run = await topic.start('refreshed', { refresh: { baseRunId: base.runId, fullAt: base.fullAt! } });
  let seen = 0;
  const crashAt = (target: CrashPoint, after: number) => (point: CrashPoint) =>
    point === target && ++seen >= after;

  // 1. Killed right after the first START is recorded: the copy is made, nothing else.
  seen = 0;
  const second = await startIndexer(cfg, { log, crashAt: crashAt('after-marker', 1) });
  await expect(second.done).rejects.toThrow('simulated crash at after-marker');
  const state = await store.get(run.runId);
  expect(state).toMatchObject({ status: 'indexing', baseRunId: base.runId });
  expect(await liveIndex()).toEqual([base.index]);
  // (Another partition's copy may have been cut between setting and lifting the base's write block:
  // the next start lifts it, see below.)

  // 2. The changes arrive; killed after a few bulk requests, before their commit.
  await topic.pages(run, pages(0, 800, { ...big, version: 2 }));
  await topic.removals(
    run,
    pages(1100, 1200).map((p) => ({ pageId: p.pageId, reason: 'deleted in Confluence' })),
  );
  await topic.pages(run, pages(1200, 1250, big));
  seen = 0;
  const third = await startIndexer(cfg, { log, crashAt: crashAt('after-bulk', 3) });
  await expect(third.done).rejects.toThrow('simulated crash at after-bulk');
  expect(await liveIndex()).toEqual([base.index]);
  // The restart saw the redelivered START, found the copy made and lifted the block.
  expect(await writeBlocked(base.index)).toBeUndefined();

  // 3. END arrives; killed just before the flip.
  await topic.end(run, { pagesTotal: 1150 });
  seen = 0;
  const fourth = await startIndexer(cfg, { log, crashAt: crashAt('before-flip', 1) });
  await expect(fourth.done).rejects.toThrow('simulated crash at before-flip');
  expect(await liveIndex()).toEqual([base.index]);
  expect((await store.get(run.runId))?.status).toBe('indexing');

  // 4. Restarted: recovers the complete run, verifies it like a full one and flips it, once.
  const fifth = await startIndexer(cfg, { log });
  try {
    const done = await eventually(async () => {
      const s = await store.get(run.runId);
      return s?.status === 'flipped' ? s : undefined;
    }, 'the refresh flipped after the restart');
    expect(done).toMatchObject({ docs: 1150, failures: 0, pagesTotal: 1150, baseRunId: base.runId });
    expect(await liveIndex()).toEqual([done.index]);
    await es.indices.refresh({ index: refreshAlias });
    const hits = await es.search<{ version: number }>({
      index: refreshAlias,
      size: 2000,
      _source: ['version'],
    });
    const versions = new Map(hits.hits.hits.map((h) => [h._id!, h._source!.version]));
    const expected = new Map([
      ...pages(0, 800).map((p) => [p.pageId, 2] as const),
      ...pages(800, 1100).map((p) => [p.pageId, 1] as const),
      ...pages(1200, 1250).map((p) => [p.pageId, 1] as const),
    ]);
    expect(versions).toEqual(expected);
    // Redelivered markers (uncommitted before the crashes) reach the restarted indexer: still one flip.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await flips(fifth)).toBe(1);
    expect((await store.get(run.runId))?.flippedAt).toBe(done.flippedAt);
    expect(await writeBlocked(base.index)).toBeUndefined();
  } finally {
    await fifth.stop();
    await topic.close();
  }
});
