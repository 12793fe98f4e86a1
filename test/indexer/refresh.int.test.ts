// Refreshes on the real stack: a run whose START names a base starts as a copy of the base's index,
// applies its changed pages, removals and failures, and is verified and flipped exactly like a full
// run — or fails without touching the alias when its base is gone or its counts do not add up.
import { describe, expect, it } from 'vitest';
import { indexerConfig } from '../../indexer/config.ts';
import { aliasName, runIndexName } from '../../indexer/index-names.ts';
import { pageMappings } from '../../indexer/template.ts';
import { liveRunState } from '../../indexer/alias.ts';
import { formatRuns, listRuns } from '../../ops/runs.ts';
import { isolatedEnv } from '../stack/services.ts';
import { indexerHarness } from './harness.ts';
import { eventually, pages, runDecided, type TestRun } from './fixtures.ts';

const cfg = indexerConfig(isolatedEnv('indexer-refresh', { INDEXER_SWEEP_SECONDS: '1' }));
const h = indexerHarness(cfg);
const { es, store } = h;
const prefix = cfg.services.indexPrefix;

const decided = (run: TestRun) => runDecided(store, run.runId);
const liveIndex = async (source: string) =>
  Object.keys(await es.indices.getAlias({ name: aliasName(prefix, source) }, { ignore: [404] })).filter(
    (k) => k !== 'error' && k !== 'status',
  );

/** page id → version and title, as the alias serves them. */
async function served(source: string): Promise<Map<string, { version: number; title: string }>> {
  const alias = aliasName(prefix, source);
  await es.indices.refresh({ index: alias });
  const result = await es.search<{ version: number; title: string }>({ index: alias, size: 1000 });
  return new Map(
    result.hits.hits.map((h) => [h._id!, { version: h._source!.version, title: h._source!.title }]),
  );
}

const ids = (from: number, to: number) => pages(from, to).map((p) => p.pageId);

/** A full first run of pages 0–39 (version 1), live. */
async function liveBase(source: string) {
  const run = await h.topic.run(source, pages(0, 40));
  const state = await decided(run);
  expect(state.status).toBe('flipped');
  return state;
}

describe('refresh runs', () => {
  it('builds on the live version: changed pages, removals and a failure, then goes live with exactly the new version', async () => {
    const source = 'acme';
    const base = await liveBase(source);
    const fullAt = Date.now() - 86_400_000;

    // Pages 0–3 removed, 4 fails to convert, 5–9 edited (version 2), 10–39 unchanged, 40–42 new.
    const run = await h.topic.start(source, { refresh: { baseRunId: base.runId, fullAt } });
    await h.topic.removals(
      run,
      ids(0, 4).map((pageId) => ({ pageId, reason: 'deleted in Confluence' })),
    );
    await h.topic.failures(run, [{ pageId: '4', reason: 'unsupported macro' }]);
    await h.topic.pages(run, [...pages(5, 10, { version: 2, title: 'edited' }), ...pages(40, 43)]);
    await h.topic.end(run, { pagesTotal: 39 });

    const state = await decided(run);
    expect(state).toMatchObject({
      status: 'flipped',
      baseRunId: base.runId,
      fullAt,
      docs: 38,
      failures: 1,
      pagesTotal: 39,
    });
    expect(await liveIndex(source)).toEqual([state.index]);
    const live = await served(source);
    expect([...live.keys()].sort()).toEqual(ids(5, 43).sort());
    for (const id of ids(5, 10)) expect(live.get(id)).toEqual({ version: 2, title: 'edited' });
    for (const id of [...ids(10, 40), ...ids(40, 43)])
      expect(live.get(id)).toEqual({ version: 1, title: `Page ${id}` });

    // The base is untouched (it stays the rollback target) and writable again.
    await es.indices.refresh({ index: base.index });
    expect((await es.count({ index: base.index })).count).toBe(40);
    const settings = await es.indices.getSettings({ index: base.index, flat_settings: true });
    expect(settings[base.index]?.settings?.['index.blocks.write']).toBeUndefined();

    // What the producer reads to plan the next run, and what an operator sees.
    expect(await liveRunState(es, prefix, source)).toMatchObject({
      runId: run.runId,
      baseRunId: base.runId,
      fullAt,
    });
    const table = formatRuns(await listRuns(es, cfg, { sourceId: source }));
    expect(table).toMatch(new RegExp(`refresh of ${base.runId}`));
    expect(table).toMatch(/MODE/);
  });

  it('builds on a base indexed with positions (a run index from before they were dropped): its copy keeps them', async () => {
    const source = 'delta';
    const first = await h.topic.start(source);
    const baseIndex = runIndexName(prefix, source, first.runId);
    const textIndexing = async (index: string) => {
      const mapping = (await es.indices.getMapping({ index }))[index]!.mappings.properties!;
      return [mapping.text, mapping.sections] as const;
    };
    // The run index as the indexer made it before: positions, and the sections' keys searchable.
    await es.indices.create({
      index: baseIndex,
      settings: { refresh_interval: '-1', number_of_replicas: 0 },
      mappings: pageMappings(cfg.textAnalyzer, { positions: true }),
    });
    await h.topic.pages(first, pages(0, 40));
    await h.topic.end(first);
    const base = await decided(first);
    expect(base.status).toBe('flipped');
    expect((await textIndexing(base.index))[0]).not.toHaveProperty('index_options');

    const run = await h.topic.start(source, { refresh: { baseRunId: base.runId, fullAt: Date.now() } });
    await h.topic.pages(run, pages(0, 5, { version: 2, title: 'edited' }));
    await h.topic.end(run, { pagesTotal: 40 });
    const state = await decided(run);
    expect(state).toMatchObject({ status: 'flipped', docs: 40, failures: 0 });
    const live = await served(source);
    expect(live.size).toBe(40);
    for (const id of ids(0, 5)) expect(live.get(id)).toEqual({ version: 2, title: 'edited' });
    expect(await textIndexing(state.index)).toEqual(await textIndexing(base.index));
    // A full run now gets today's mapping: frequencies only, section keys returned but not indexed.
    const full = await decided(await h.topic.run(source, pages(0, 40, { version: 3 })));
    expect(await textIndexing(full.index)).toEqual([
      { type: 'text', analyzer: cfg.textAnalyzer, index_options: 'freqs' },
      {
        type: 'nested',
        properties: {
          anchor: { type: 'keyword', index: false, doc_values: false },
          path: { type: 'keyword', index: false, doc_values: false },
          text: { type: 'text', analyzer: cfg.textAnalyzer, index_options: 'freqs' },
        },
      },
    ]);
  });

  it('fails a refresh whose base index retention deleted, with a reason that says so; the alias stays', async () => {
    const source = 'beta';
    const gone = await liveBase(source);
    await decided(await h.topic.run(source, pages(0, 40, { version: 2 })));
    const third = await decided(await h.topic.run(source, pages(0, 40, { version: 3 })));
    expect(third.status).toBe('flipped');
    // Retention (keep 1 previous) deletes the first version once the third went live.
    await eventually(async () => (await store.get(gone.runId))?.deletedAt, 'retention of the first version');

    const run = await h.topic.start(source, { refresh: { baseRunId: gone.runId, fullAt: Date.now() } });
    await h.topic.pages(run, pages(0, 2, { version: 4 }));
    await h.topic.end(run, { pagesTotal: 40 });
    const state = await decided(run);
    expect(state.status).toBe('failed');
    expect(state.reason).toMatch(
      new RegExp(
        `^refresh base ${gone.index} of run ${gone.runId} was deleted at .* \\(retention: flipped\\): this refresh cannot be built and never goes live; the next run builds on the live version again, or is a full run if there is none$`,
      ),
    );
    expect(await liveIndex(source)).toEqual([third.index]);
    expect([...(await served(source)).values()].every((p) => p.version === 3)).toBe(true);
    // Its pages were never written: no index appeared for it.
    expect(await es.indices.exists({ index: state.index })).toBe(false);
  });

  it('never flips a refresh whose counts do not add up (a removal lost on the way)', async () => {
    const source = 'gamma';
    const base = await liveBase(source);
    const run = await h.topic.start(source, { refresh: { baseRunId: base.runId, fullAt: Date.now() } });
    // Pages 38 and 39 were deleted in Confluence, but only 39's removal arrives.
    await h.topic.removals(run, [{ pageId: '39', reason: 'deleted in Confluence' }]);
    await h.topic.pages(run, pages(0, 3, { version: 2 }));
    await h.topic.end(run, { pagesTotal: 38 });
    const state = await decided(run);
    expect(state).toMatchObject({ status: 'failed', docs: 39, failures: 0, pagesTotal: 38 });
    expect(state.reason).toBe('does not add up: 39 pages indexed + 0 failed ≠ 38 emitted');
    expect(await liveIndex(source)).toEqual([base.index]);
    expect([...(await served(source)).values()].every((p) => p.version === 1)).toBe(true);
  });
});
