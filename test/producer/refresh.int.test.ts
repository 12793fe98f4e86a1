// The producer's side of a refresh, against real Kafka and Elasticsearch: the live version is what an
// indexer that builds refreshes would hold (the first run's pages, and a run state with its full-run
// time). The next run reads every page's facts, fetches only the bodies of new versions — edits and
// additions —, sends pages whose restriction, breadcrumbs or labels changed without a version bump as
// facts updates without their bodies, removes the pages Confluence says are gone, and counts every page
// of the new version in END.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearch, type Elasticsearch } from '../../lib/elasticsearch.ts';
import { createCodecs, type Codecs } from '../../lib/registry.ts';
import { aliasName, runIndexName } from '../../indexer/index-names.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import { producerConfig, type ProducerConfig } from '../../producer/config.ts';
import { runPull, type RunSummary } from '../../producer/run.ts';
import { readLiveIndex } from '../../producer/live-index.ts';
import { REMOVAL_REASONS } from '../../producer/pull.ts';
import type { RawPage, RawPageEvent } from '../../schemas/index.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { CONVERTER_VERSION } from '../../transformer/convert.ts';
import { isolatedEnv } from '../stack/services.ts';
import { captureLogger, expectedPageIds, simEnv } from './helpers.ts';
import { deleteTopics, readTopic, testKafka } from './kafka-read.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('a refresh (producer side)', () => {
  let sim: SimHandle;
  let cfg: ProducerConfig;
  let es: Elasticsearch;
  let codecs: Codecs;
  let kafka: ReturnType<typeof testKafka>;
  let first: RunSummary;

  /** The events of one run on the raw topic. */
  const eventsOf = async (runId: string) =>
    (await readTopic<RawPageEvent>(kafka, cfg.services.topics.rawPages, (b) => codecs.rawPages.decode(b)))
      .map((r) => r.value)
      .filter((e) => e.runId === runId);
  const pagesOf = (events: RawPageEvent[]) => events.flatMap((e) => (e.page ? [e.page] : []));
  const logged = captureLogger();
  const run = (full = false) => runPull(cfg, { log: logged.log, full });
  /** A full run, for `reason`: every current page sent, none kept. */
  async function expectFull(summary: RunSummary, reason: string) {
    expect(summary).toMatchObject({ status: 'SUCCEEDED', plan: { kind: 'full', reason }, unchanged: 0 });
    const sent = pagesOf(await eventsOf(summary.runId)).map((p) => p.id);
    expect(sent.sort()).toEqual(expectedPageIds(sim));
  }

  /** Makes `pages` (a run's) the live version, as the indexer of a refresh-building chain holds it. */
  async function makeLive(runId: string, startedAt: number, pages: RawPage[], converter = CONVERTER_VERSION) {
    const index = runIndexName(cfg.services.indexPrefix, cfg.sourceId, runId);
    const alias = aliasName(cfg.services.indexPrefix, cfg.sourceId);
    cleanups.push(async () => void (await es.indices.delete({ index }, { ignore: [404] })));
    await es.indices.create({
      index,
      mappings: {
        properties: {
          pageId: { type: 'keyword' },
          version: { type: 'integer' },
          fingerprint: { type: 'keyword', index: false, doc_values: false },
          converter: { type: 'keyword' },
          spaceKey: { type: 'keyword' },
        },
      },
      aliases: { [alias]: {} },
    });
    await es.bulk({
      refresh: true,
      operations: pages.flatMap((p) => [
        { index: { _index: index, _id: p.id } },
        { pageId: p.id, version: p.version, fingerprint: p.fingerprint, converter, spaceKey: p.space.key },
      ]),
    });
    const store = createRunStore(es, cfg.services.indexPrefix);
    await store.ensure();
    await es.index({
      index: store.index,
      id: runId,
      refresh: true,
      document: { kind: 'run', runId, sourceId: cfg.sourceId, index, status: 'flipped', fullAt: startedAt },
    });
  }

  beforeAll(async () => {
    sim = await startSim({ seed: 47, spaces: 2, pages: 60 });
    cleanups.push(() => sim.close());
    cfg = producerConfig({ ...isolatedEnv('refresh'), ...simEnv(sim) });
    kafka = testKafka(cfg.services);
    cleanups.push(() => deleteTopics(kafka, cfg.services));
    es = createElasticsearch(cfg.services);
    cleanups.push(async () => {
      await es.indices.delete({ index: `${cfg.services.indexPrefix}-runs` }, { ignore: [404] });
      await es.close();
    });
    codecs = await createCodecs(cfg.services);
    // Seen once in CI: this first run did not end within the hook's timeout. What it logged says where it stood.
    cleanups.push(async () => {
      if (!first)
        process.stderr.write(`the first run did not end; its log:\n${logged.lines.slice(-100).join('\n')}\n`);
    });
    first = await run();
  });

  it('a first sync is full and stamps every page with its fingerprint', async () => {
    expect(first).toMatchObject({ status: 'SUCCEEDED', plan: { kind: 'full', reason: 'first-sync' } });
    const pages = pagesOf(await eventsOf(first.runId));
    expect(pages.map((p) => p.id).sort()).toEqual(expectedPageIds(sim));
    expect(pages.every((p) => typeof p.fingerprint === 'string' && p.fingerprint.length > 20)).toBe(true);
  });

  it('fetches only what changed, removes what is gone, and counts every page of the new version', async () => {
    const firstPages = pagesOf(await eventsOf(first.runId));
    await makeLive(first.runId, Date.now() - 60_000, firstPages);
    // The live version's pages per space: the run lists the biggest spaces first (listingOrder).
    const bySpace = new Map<string, number>();
    for (const p of firstPages) bySpace.set(p.space.key, (bySpace.get(p.space.key) ?? 0) + 1);
    const live = await readLiveIndex(es, cfg.services.indexPrefix, cfg.sourceId);
    expect(live?.spaceSizes).toEqual(bySpace);
    await live?.pages;
    const { admin } = sim;
    const all = expectedPageIds(sim);
    const childrenOf = (id: string) => all.filter((p) => admin.page(p).parentId === id);
    const subtree = (id: string): string[] => [id, ...childrenOf(id).flatMap(subtree)];
    const leaves = all.filter((id) => childrenOf(id).length === 0);
    const parent = all.find((id) => childrenOf(id).length > 0 && admin.page(id).parentId !== null)!;
    const restrictedRoot = all.find(
      (id) =>
        id !== parent &&
        childrenOf(id).length > 0 &&
        !subtree(parent).includes(id) &&
        !subtree(id).includes(parent),
    )!;
    const free = leaves.filter(
      (id) => !subtree(parent).includes(id) && !subtree(restrictedRoot).includes(id),
    );
    const [edited, trashed, labelled] = free;

    admin.editPage(edited!, { body: '<p>A new version</p>' }); // version bump
    admin.deletePage(trashed!); // to the trash
    const added = admin.addPage({ space: admin.page(edited!).spaceKey, title: 'Added between runs' }).id;
    // Without a version bump, as Confluence does: a read restriction (its subtree inherits it), a label,
    // and an ancestor renamed (its own version bumps; its descendants' breadcrumbs change, not their versions).
    const before = admin.page(restrictedRoot).version;
    admin.restrictPage(restrictedRoot, true);
    expect(admin.page(restrictedRoot).version).toBe(before);
    admin.labelPage(labelled!, ['internal-only']);
    admin.editPage(parent, { title: 'Renamed parent' });
    admin.traffic.reset();

    const second = await run();
    expect(second).toMatchObject({
      status: 'SUCCEEDED',
      plan: { kind: 'incremental', base: { baseRunId: first.runId } },
      baseRunId: first.runId,
    });
    const events = await eventsOf(second.runId);
    // New versions are fetched; pages whose facts alone changed are sent without their bodies.
    const bodies = [edited!, added, parent].sort();
    const factsOnly = [labelled!, ...subtree(restrictedRoot), ...subtree(parent).slice(1)].sort();
    const changed = [...bodies, ...factsOnly];
    expect(
      pagesOf(events)
        .map((p) => p.id)
        .sort(),
    ).toEqual(bodies);
    const sent = events.flatMap((e) => (e.facts ? [e.facts] : []));
    expect(sent.map((p) => p.id).sort()).toEqual(factsOnly);
    expect(events.flatMap((e) => (e.removal ? [e.removal] : []))).toEqual([
      { pageId: trashed!, reason: REMOVAL_REASONS.gone },
    ]);
    // The restriction reached the restricted page and its subtree, the label its page, the new title the breadcrumbs.
    for (const id of subtree(restrictedRoot))
      expect(sent.find((p) => p.id === id)!.visibility, `page ${id}`).toBe('internal');
    expect(sent.find((p) => p.id === labelled)!).toMatchObject({
      visibility: 'internal',
      visibilityReason: 'label',
    });
    for (const id of subtree(parent).slice(1))
      expect(sent.find((p) => p.id === id)!.ancestors.map((a) => a.title)).toContain('Renamed parent');

    const starts = events.flatMap((e) => (e.marker?.kind === 'START' ? [e.marker] : []));
    expect(starts.length).toBeGreaterThan(0);
    for (const m of starts) expect(m.refresh).toMatchObject({ baseRunId: first.runId });
    const ends = events.flatMap((e) => (e.marker?.kind === 'END' ? [e.marker] : []));
    const now = expectedPageIds(sim);
    for (const m of ends) expect(m.pagesTotal).toBe(now.length);
    expect(second).toMatchObject({ pages: now.length, unchanged: now.length - changed.length, removed: 1 });
    // Confluence served the new versions' bodies (and the trashed page's absence), nothing more.
    expect(sim.admin.traffic.total.bodies).toBe(bodies.length);
    expect(second.confluenceBytes).toBe(sim.admin.traffic.total.bytes);
    expect(second.confluenceBytes).toBeLessThan(first.confluenceBytes);
  });

  it('--full fetches every body even when the live version is a sound base', async () => {
    await expectFull(await run(true), 'on-demand');
  });

  it('a live version made by another converter makes the next run a full one', async () => {
    const index = runIndexName(cfg.services.indexPrefix, cfg.sourceId, first.runId);
    await es.bulk({
      refresh: true,
      operations: pagesOf(await eventsOf(first.runId)).flatMap((p) => [
        { update: { _index: index, _id: p.id } },
        { doc: { converter: '0' } },
      ]),
    });
    await expectFull(await run(), 'converter');
  });
});

describe('a live index whose pages cannot be read', () => {
  it('fails the run (listing meanwhile) instead of dropping or keeping pages blind', async () => {
    const sim = await startSim({ seed: 48, spaces: 1, pages: 10 });
    cleanups.push(() => sim.close());
    const cfg = producerConfig({ ...isolatedEnv('refresh-unread'), ...simEnv(sim) });
    const kafka = testKafka(cfg.services);
    cleanups.push(() => deleteTopics(kafka, cfg.services));
    const es = createElasticsearch(cfg.services);
    const index = runIndexName(cfg.services.indexPrefix, cfg.sourceId, '01JF0000000000000000000099');
    cleanups.push(async () => {
      await es.indices.delete({ index }, { ignore: [404] });
      await es.close();
    });
    // The alias and its converters answer; reading its pages in id order does not (a text pageId).
    await es.indices.create({
      index,
      mappings: { properties: { pageId: { type: 'text' }, converter: { type: 'keyword' } } },
      aliases: { [aliasName(cfg.services.indexPrefix, cfg.sourceId)]: {} },
    });
    await es.index({
      index,
      id: '1',
      refresh: true,
      document: { pageId: '1', converter: CONVERTER_VERSION },
    });
    const summary = await runPull(cfg, { log: captureLogger().log });
    expect(summary.status).toBe('FAILED');
    // A failed run ends with ABORT: the alias stays where it is.
    expect(summary.error).toMatch(
      /Elasticsearch at \S+ refused the request[\s\S]*Fielddata is disabled on \[pageId\]/,
    );
  });
});
