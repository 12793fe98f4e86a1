// A source's life through several runs on the real stack: flips, the guards that keep runs away
// from the alias (aborted, short, held, late, not adding up), release, replay, retention, rollback.
import { describe, expect, it } from 'vitest';
import { indexerConfig } from '../../indexer/config.ts';
import { listRuns, release, rollback } from '../../ops/runs.ts';
import type { RunState } from '../../indexer/completion.ts';
import { isolatedEnv } from '../stack/services.ts';
import { indexerHarness } from './harness.ts';
import { eventually, page, pages, type TestRun, runDecided } from './fixtures.ts';

const cfg = indexerConfig(
  isolatedEnv('indexer-life', { INDEX_DEAD_RUN_GRACE_SECONDS: '1', INDEXER_SWEEP_SECONDS: '1' }),
);
const h = indexerHarness(cfg);
const { es, store, log } = h;
const prefix = cfg.services.indexPrefix;
const source = 'acme-atlassian-net';
const alias = `${prefix}-${source}`;

const decided = (run: TestRun) => runDecided(store, run.runId);

async function aliasPages(): Promise<Map<string, { title: string; runId: string }>> {
  await es.indices.refresh({ index: alias });
  const result = await es.search<{ pageId: string; title: string; runId: string }>({
    index: alias,
    size: 1000,
  });
  return new Map(result.hits.hits.map((h) => [h._id!, { title: h._source!.title, runId: h._source!.runId }]));
}
const liveIndex = async () => Object.keys(await es.indices.getAlias({ name: alias }));
const indexExists = (state: RunState) => es.indices.exists({ index: state.index });

describe('indexer run lifecycle', () => {
  let first: RunState;
  let second: RunState;

  it('flips a first run, then a second one with deletions, edits and new pages: the alias shows exactly the second', async () => {
    const run1 = await h.topic.run(source, pages(0, 30));
    first = await decided(run1);
    expect(first.status).toBe('flipped');
    expect((await aliasPages()).size).toBe(30);

    // Pages 0-9 deleted, 10-14 edited, 15-29 unchanged, 30-34 new, 35 failed to convert.
    const run2 = await h.topic.run(source, [...pages(10, 15, { title: 'edited' }), ...pages(15, 35)], {
      failures: [{ pageId: '35', reason: 'unsupported macro' }],
    });
    second = await decided(run2);
    expect(second).toMatchObject({ status: 'flipped', docs: 25, failures: 1, pagesTotal: 26 });
    const live = await aliasPages();
    expect([...live.keys()].sort()).toEqual(
      pages(10, 35)
        .map((p) => p.pageId)
        .sort(),
    );
    expect(live.get('12')).toEqual({ title: 'edited', runId: run2.runId });
    expect(live.get('20')?.title).toBe('Page 20');
    expect(await liveIndex()).toEqual([second.index]);
    // The index the alias just left is kept for rollback and in-flight queries.
    expect(await indexExists(first)).toBe(true);
  });

  it('never moves the alias to an aborted run, and removes its index after the grace period', async () => {
    const run = await h.topic.start(source);
    await h.topic.pages(run, pages(0, 40));
    await h.topic.abort(run, 'Confluence answered 500 on page 3 of space ENG');
    const state = await decided(run);
    expect(state.status).toBe('failed');
    expect(state.reason).toContain('aborted upstream: Confluence answered 500');
    expect(await liveIndex()).toEqual([second.index]);
    await eventually(async () => !(await indexExists(state)), 'aborted run index deleted');
  });

  it('never moves the alias to a run missing pages (END says more than arrived)', async () => {
    const run = await h.topic.run(source, pages(0, 30), { pagesTotal: 32 });
    const state = await decided(run);
    expect(state.status).toBe('failed');
    expect(state.reason).toBe('does not add up: 30 pages indexed + 0 failed ≠ 32 emitted');
    expect(await liveIndex()).toEqual([second.index]);
  });

  it('holds a run that would shrink the alias by more than half, until an operator releases it', async () => {
    const run = await h.topic.run(source, pages(0, 10));
    const held = await decided(run);
    expect(held).toMatchObject({ status: 'held', docs: 10, liveDocs: 25 });
    expect(held.reason).toContain('10 pages would replace 25 live');
    expect(await liveIndex()).toEqual([second.index]);

    const released = await release(es, cfg, run.runId, log);
    expect(released.status).toBe('flipped');
    expect(await liveIndex()).toEqual([held.index]);
    expect((await aliasPages()).size).toBe(10);
    await expect(release(es, cfg, run.runId, log)).rejects.toThrow(/is flipped, not held/);
  });

  it('never moves the alias backwards: an older run finishing after a newer one went live is superseded', async () => {
    const older = await h.topic.start(source);
    await h.topic.pages(older, pages(0, 12));
    const newer = await h.topic.run(source, pages(0, 11));
    expect((await decided(newer)).status).toBe('flipped');
    await h.topic.end(older);
    const late = await decided(older);
    expect(late.status).toBe('superseded');
    expect(late.reason).toBe(`superseded: run ${newer.runId} already went live`);
    expect((await aliasPages()).size).toBe(11);
  });

  it('flips a replay (a new, newer run id) normally; retention keeps the live version and one before it', async () => {
    const [latest] = await listRuns(es, cfg, { sourceId: source, limit: 1 });
    const replay = await h.topic.run(source, pages(0, 11, { title: 'reconverted' }), {
      replayOf: latest!.runId,
    });
    const state = await decided(replay);
    expect(state).toMatchObject({ status: 'flipped', replayOf: latest!.runId });
    expect([...(await aliasPages()).values()].every((p) => p.title === 'reconverted')).toBe(true);

    const runs = await listRuns(es, cfg, { sourceId: source });
    const wentLive = runs.filter((r) => r.status === 'flipped');
    expect(wentLive.length).toBe(5);
    // Newest first: the live one and the previous one survive; older versions are deleted (just after the flip).
    const present = await eventually(async () => {
      const now = await Promise.all(wentLive.map((r) => indexExists(r)));
      return now.filter(Boolean).length === 2 ? now : undefined;
    }, 'retention after the flip');
    expect(present).toEqual([true, true, false, false, false]);
    expect(runs.find((r) => r.live)?.runId).toBe(replay.runId);
  });

  it('rolls the alias back to the previous kept version in one call', async () => {
    const before = await listRuns(es, cfg, { sourceId: source });
    const live = before.find((r) => r.live)!;
    const { from, to } = await rollback(es, cfg, source);
    expect(from.runId).toBe(live.runId);
    expect(await liveIndex()).toEqual([to.index]);
    expect([...(await aliasPages()).values()].every((p) => p.title !== 'reconverted')).toBe(true);
    const after = await listRuns(es, cfg, { sourceId: source });
    expect(after.find((r) => r.runId === from.runId)?.status).toBe('rolled-back');
    // Nothing older is kept now: a second rollback has nowhere to go.
    await expect(rollback(es, cfg, source)).rejects.toThrow(/No earlier version/);
  });

  it('keeps personal pages internal in the index, as the transformer classified them', async () => {
    const run = await h.topic.run('other-source', [
      page('1', { spaceKey: '~me', spaceType: 'personal', visibility: 'internal' }),
    ]);
    const state = await decided(run);
    expect(state.status).toBe('flipped');
    const hits = await es.search<{ visibility: string }>({
      index: `${prefix}-other-source`,
      query: { term: { visibility: 'public' } },
    });
    expect(hits.hits.hits).toHaveLength(0);
  });
});
