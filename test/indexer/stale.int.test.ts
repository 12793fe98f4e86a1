// A run whose producer died without ABORT (START and pages, never END): after the stale timeout it is
// failed with a reason a person can act on, the alias stays on the previous run, its index is deleted
// after the grace period, late records never revive it, and the next run flips.
import { expect, it } from 'vitest';
import { indexerConfig } from '../../indexer/config.ts';
import { isolatedEnv } from '../stack/services.ts';
import { indexerHarness } from './harness.ts';
import { eventually, pages, type TestRun, runDecided } from './fixtures.ts';

const cfg = indexerConfig(
  isolatedEnv('indexer-stale', {
    INDEX_STALE_RUN_MINUTES: String(2 / 60),
    INDEX_DEAD_RUN_GRACE_SECONDS: '1',
    INDEXER_SWEEP_SECONDS: '1',
  }),
);
const h = indexerHarness(cfg);
const { es, store } = h;
const source = 'acme';
const alias = `${cfg.services.indexPrefix}-${source}`;

const decided = (run: TestRun) => runDecided(store, run.runId);
const aliasIndices = async () => Object.keys(await es.indices.getAlias({ name: alias }));

it('fails a run that never gets END, keeps the alias, deletes its index after grace, and stays failed', async () => {
  const first = await decided(await h.topic.run(source, pages(0, 40)));
  expect(first.status).toBe('flipped');

  // The producer dies mid-run: START and some pages, no END, no ABORT.
  const dead = await h.topic.start(source);
  await h.topic.pages(dead, pages(0, 25));
  const stale = await decided(dead);
  expect(stale).toMatchObject({
    status: 'failed',
    reason:
      'no END from the producer within 2 seconds: the producer likely died mid-run; the next run replaces it',
  });
  expect(stale.lastActivityAt).toBeGreaterThanOrEqual(stale.firstSeenAt);
  expect(await aliasIndices()).toEqual([first.index]);
  expect((await es.count({ index: alias })).count).toBe(40);

  await eventually(async () => (await store.get(dead.runId))?.deletedAt, 'the stale run index deleted');
  expect(await es.indices.exists({ index: stale.index })).toBe(false);

  // The producer was not dead after all: its last pages and END arrive late. Then a new run; records are
  // ordered per partition, so once it is decided the late ones have been consumed.
  await h.topic.pages(dead, pages(25, 40));
  await h.topic.end(dead);
  const next = await decided(await h.topic.run(source, pages(0, 45)));
  expect(next.status).toBe('flipped');
  expect(await store.get(dead.runId)).toMatchObject({ status: 'failed', reason: stale.reason });
  expect(await es.indices.exists({ index: stale.index })).toBe(false);
  expect(await aliasIndices()).toEqual([next.index]);
  expect((await es.count({ index: alias })).count).toBe(45);
});
