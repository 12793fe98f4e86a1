// The whole product on the real stack: simulator → producer → transformer → indexer → alias → search.
// Two runs with deletions, edits and additions (the second a refresh: only the changes fetched);
// personal pages internal; customer searches never return an internal page; replays of a full run after
// a converter change without one call to Confluence.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { servicesConfig } from '../lib/config.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { replayRun } from '../ops/replay.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { convertPage } from '../transformer/convert.ts';
import type { Convert } from '../transformer/pipeline.ts';
import { startIndexer } from '../indexer/service.ts';
import { indexerConfig } from '../indexer/config.ts';
import { search } from '../search/query.ts';
import { tracePage } from '../ops/trace.ts';
import { createKafka } from '../lib/kafka.ts';
import { createCodecs } from '../lib/registry.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { cleanUp } from './indexer/fixtures.ts';
import { aliasDocs, pullUntilFlipped, waitFlipped } from './pipeline.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('e2e');
log.level = 'warn';
const SOURCE = 'e2e-site';

let sim: SimHandle;
let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
const services = () => servicesConfig(env);
const es = () => createElasticsearch(services());

async function pullAndWait(full = false): Promise<{ runId: string; index: string }> {
  const { pull, index } = await pullUntilFlipped(env, log, full);
  return { runId: pull.runId, index };
}

const waitLive = (runId: string) => waitFlipped(env, runId);

interface Doc {
  title: string;
  visibility: string;
  visibilityReason: string;
  spaceKey: string;
  spaceType: string;
  html: string;
  version: number;
}
const docFields: (keyof Doc)[] = [
  'title',
  'visibility',
  'visibilityReason',
  'spaceKey',
  'spaceType',
  'html',
  'version',
];
const siteDocs = () => aliasDocs<Doc>(env, SOURCE, docFields);

async function startTransformerWith(convert?: Convert) {
  transformer = await startTransformer(transformerConfig(env), {
    log,
    progressEvery: 0,
    ...(convert ? { convert } : {}),
  });
}

beforeAll(async () => {
  sim = await startSim({ seed: 4242, spaces: 6, pages: 150 });
  env = isolatedEnv('e2e', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
    INDEXER_SWEEP_SECONDS: '1',
  });
  await startTransformerWith();
  indexer = await startIndexer(indexerConfig(env), { log });
});

afterAll(async () => {
  await transformer?.stop();
  await indexer?.stop();
  await sim?.close().catch(() => {});
  if (env) await cleanUp(services());
});

describe('end to end on the real stack', () => {
  let second: { runId: string; index: string };
  /** A full run of the final site: what the replays rebuild (a refresh alone holds only changes). */
  let full: { runId: string; index: string };
  let firstIds: string[];
  let deletedIds: string[];

  it('serves exactly the readable pages of the first run, personal pages internal', async () => {
    await pullAndWait();
    const docs = await siteDocs();
    firstIds = expectedPageIds(sim);
    expect([...docs.keys()].sort()).toEqual(firstIds);
    const personal = [...docs.values()].filter(
      (d) => d.spaceKey.startsWith('~') || d.spaceType === 'personal',
    );
    expect(personal.length).toBeGreaterThan(0);
    for (const d of personal) expect(d.visibility).toBe('internal');
    // Internal only for a reason the site gives: a personal space or a read restriction (the generated
    // site has no other space types or labels).
    for (const d of docs.values())
      if (d.visibility === 'internal')
        expect(d.visibilityReason).toMatch(/^(personal-space|restricted|restricted-ancestor)$/);
  });

  it('after a second run with deletions, edits and additions, the alias shows exactly the second run', async () => {
    const deleted = firstIds.filter((_, i) => i % 10 === 3);
    deletedIds = deleted;
    for (const id of deleted) sim.admin.deletePage(id);
    const edited = firstIds.find((id) => !deleted.includes(id))!;
    sim.admin.editPage(edited, { title: 'Edited between runs', body: '<p>new words: zebracorn</p>' });
    const space = sim.admin.info().spaces.find((s) => s.type !== 'personal' && s.status === 'current')!;
    const added = sim.admin.addPage({
      space: space.id,
      title: 'Added between runs',
      body: '<p>fresh page</p>',
    });

    second = await pullAndWait();
    const docs = await siteDocs();
    expect([...docs.keys()].sort()).toEqual(expectedPageIds(sim));
    for (const id of deleted) expect(docs.has(id)).toBe(false);
    expect(docs.get(added.id)?.title).toBe('Added between runs');
    expect(docs.get(edited)?.title).toBe('Edited between runs');
    expect(docs.get(edited)?.html).toContain('zebracorn');
  });

  it('traces a page through the topics, the run and the alias', async () => {
    const cfg = services();
    const kafka = createKafka(cfg, 'e2e-trace', log);
    const codecs = await createCodecs(cfg);
    const client = es();
    try {
      const served = await tracePage(cfg, kafka, codecs, client, {
        pageId: expectedPageIds(sim)[0]!,
        sourceId: SOURCE,
      });
      expect(served.run.runId).toBe(second.runId);
      expect(served.steps.map((s) => s.found)).toEqual([true, true, true, true, true]);
      const gone = await tracePage(cfg, kafka, codecs, client, { pageId: deletedIds[0]!, sourceId: SOURCE });
      expect(gone.steps[0]).toMatchObject({
        found: false,
        detail: expect.stringContaining('did not emit it'),
      });
      expect(gone.steps.at(-1)).toMatchObject({
        found: false,
        detail: expect.stringContaining('not served'),
      });
    } finally {
      await client.close();
    }
  });

  it('never shows an internal page to a customer, even where internal pages match best', async () => {
    const docs = await siteDocs();
    const internalTitles = [...docs.values()].filter((d) => d.visibility === 'internal').map((d) => d.title);
    expect(internalTitles.length).toBeGreaterThan(0);
    const client = es();
    try {
      for (const q of internalTitles.slice(0, 8)) {
        const customer = await search(client, services().indexPrefix, {
          source: SOURCE,
          q,
          audience: 'customer',
          size: 50,
        });
        for (const r of customer.results) expect(r.visibility).toBe('public');
        const agent = await search(client, services().indexPrefix, {
          source: SOURCE,
          q,
          audience: 'agent',
          size: 50,
        });
        expect(agent.results.some((r) => r.visibility === 'internal')).toBe(true);
      }
    } finally {
      await client.close();
    }
  });

  it('replays from the raw topic with a changed converter, without calling Confluence', async () => {
    full = await pullAndWait(true);
    const requestsBefore = sim.admin.info().requests;
    await sim.close(); // any call to Confluence from here on would fail
    await transformer.stop();
    const v2: Convert = (storage, ctx) => {
      const out = convertPage(storage, ctx);
      return { ...out, html: `${out.html}<p>converted by v2</p>` };
    };
    await startTransformerWith(v2);

    const replay = await replayRun(services(), { runId: full.runId, from: 'raw', log });
    expect(replay.replayOf).toBe(full.runId);
    const live = await waitLive(replay.runId);
    expect(live.index).not.toBe(full.index);
    const docs = await siteDocs();
    expect([...docs.keys()].sort()).toEqual(expectedPageIds(sim));
    for (const d of docs.values()) expect(d.html.endsWith('<p>converted by v2</p>')).toBe(true);
    expect(sim.admin.info().requests).toBe(requestsBefore);
  });

  it('replays from the HTML topic (index again) into a new version', async () => {
    const replay = await replayRun(services(), { runId: full.runId, from: 'html', log });
    const live = await waitLive(replay.runId);
    const docs = await siteDocs();
    expect([...docs.keys()].sort()).toEqual(expectedPageIds(sim));
    // The HTML of the original full run, indexed again: not the v2 converter's output.
    for (const d of docs.values()) expect(d.html).not.toContain('converted by v2');
    expect(live.runId).toBe(replay.runId);
  });
});
