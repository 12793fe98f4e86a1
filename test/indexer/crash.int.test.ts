// Crash safety: the indexer killed mid-run (pages written, offsets not committed) and again after the
// last marker (just before the flip), then restarted: the run completes and flips exactly once.
import { afterAll, expect, it } from 'vitest';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import type { CrashPoint } from '../../indexer/crash.ts';
import { startIndexer } from '../../indexer/service.ts';
import { isolatedEnv } from '../stack/services.ts';
import { cleanUp, eventually, openHtmlTopic, pages } from './fixtures.ts';

// Small bulks and fetches, so that the run spans many batches and a crash lands in the middle.
const cfg = indexerConfig(
  isolatedEnv('indexer-crash', { INDEX_BULK_MAX_DOCS: '100', INDEXER_FETCH_MAX_BYTES: String(1024 * 1024) }),
);
const source = 'acme';
const alias = `${cfg.services.indexPrefix}-${source}`;
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
