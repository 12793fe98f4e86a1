// Refreshes end to end on the real stack: simulator → producer → transformer → indexer → alias. After a
// first sync, the site changes (edits, additions, pages trashed, a read restriction added and a label set
// without a version bump, as Confluence does); the next run fetches only those bodies, yet the alias then
// holds exactly the site's pages at their latest versions, the restricted page no longer public. A live
// version made by another converter, and `--full`, make the next run fetch everything.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { indexerConfig } from '../indexer/config.ts';
import { aliasName } from '../indexer/index-names.ts';
import { startIndexer } from '../indexer/service.ts';
import type { RunSummary } from '../producer/run.ts';
import { churn, startSim, type SimHandle } from '../sim/index.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { cleanUp } from './indexer/fixtures.ts';
import { aliasDocs, pullUntilFlipped } from './pipeline.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('refresh-test');
log.level = 'warn';
const SOURCE = 'refresh-site';

let sim: SimHandle;
let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
const services = () => servicesConfig(env);

interface Doc {
  version: number;
  visibility: string;
  visibilityReason: string;
  converter: string;
  html: string;
  runId: string;
}

/** A pull, and the indexer's verdict on it (flipped, or why not). */
const pullAndDecide = async (full = false): Promise<RunSummary> =>
  (await pullUntilFlipped(env, log, full)).pull;

const docFields: (keyof Doc)[] = ['version', 'visibility', 'visibilityReason', 'converter', 'html', 'runId'];
const siteDocs = () => aliasDocs<Doc>(env, SOURCE, docFields);

/** Exactly the site's current pages, each at its latest version. */
async function expectExactlyTheSite(): Promise<Map<string, Doc>> {
  const docs = await siteDocs();
  const ids = expectedPageIds(sim);
  expect([...docs.keys()].sort()).toEqual(ids);
  for (const id of ids) expect(docs.get(id)!.version, `page ${id}`).toBe(sim.admin.page(id).version);
  return docs;
}

beforeAll(async () => {
  sim = await startSim({ seed: 909, spaces: 3, pages: 80 });
  env = isolatedEnv('refresh', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
    INDEXER_SWEEP_SECONDS: '1',
    // The changes below make more than half of the few public pages internal: a deliberate shift.
    INDEX_MAX_AUDIENCE_SHIFT: '1',
  });
  transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log });
});

afterAll(async () => {
  await transformer?.stop();
  await indexer?.stop();
  await sim?.close().catch(() => {});
  if (env) await cleanUp(services());
});

describe('refreshes on the real stack', () => {
  let first: RunSummary;

  it('after a refresh that fetched only the changes, the alias holds exactly the site at its latest versions', async () => {
    first = await pullAndDecide();
    expect(first.plan).toMatchObject({ kind: 'full', reason: 'first-sync' });
    await expectExactlyTheSite();

    // Leaves only (churn.ts), so exactly these pages change and no others' breadcrumbs do.
    const changed = churn(sim.admin, {
      share: 0.1,
      restrict: 1,
      labelled: 1,
      label: 'internal-only',
      seed: 3,
    });
    const before = await siteDocs();
    sim.admin.traffic.reset();
    const refresh = await pullAndDecide();
    expect(refresh.plan).toMatchObject({ kind: 'incremental', base: { baseRunId: first.runId } });
    const fetched = [...changed.edited, ...changed.added];
    // A restriction or a label bumps no version: those pages are sent as facts updates, without bodies.
    const factsOnly = [...changed.restricted, ...changed.labelled];
    const site = expectedPageIds(sim).length;
    expect(refresh).toMatchObject({
      baseRunId: first.runId,
      pages: site,
      unchanged: site - fetched.length - factsOnly.length,
      removed: changed.trashed.length,
    });
    // What Confluence served: the changed bodies and nothing more.
    expect(sim.admin.traffic.total.bodies).toBe(fetched.length);

    const docs = await expectExactlyTheSite();
    for (const id of changed.trashed) expect(docs.has(id)).toBe(false);
    // Neither the restriction nor the label bumped a version, and both took the page out of public.
    expect(docs.get(changed.restricted[0]!)).toMatchObject({
      visibility: 'internal',
      visibilityReason: 'restricted',
    });
    expect(docs.get(changed.labelled[0]!)).toMatchObject({
      visibility: 'internal',
      visibilityReason: 'label',
    });
    // Their documents kept the HTML the base held, under this run's facts.
    for (const id of factsOnly) {
      expect(docs.get(id)!.html).toBe(before.get(id)!.html);
      expect(docs.get(id)!.runId).toBe(refresh.runId);
    }
  });

  it('a live version made by another converter makes the next run full', async () => {
    // As if an older converter had made the live documents.
    const es = createElasticsearch(services());
    try {
      const alias = aliasName(services().indexPrefix, SOURCE);
      const ids = [...(await siteDocs()).keys()];
      const [index] = Object.keys(await es.indices.getAlias({ name: alias }));
      await es.bulk({
        refresh: true,
        operations: ids.flatMap((id) => [
          { update: { _index: index!, _id: id } },
          { doc: { converter: '0' } },
        ]),
      });
    } finally {
      await es.close();
    }
    sim.admin.traffic.reset();
    const next = await pullAndDecide();
    expect(next).toMatchObject({ plan: { kind: 'full', reason: 'converter' }, unchanged: 0 });
    expect(sim.admin.traffic.total.bodies).toBe(expectedPageIds(sim).length);
    const docs = await expectExactlyTheSite();
    for (const d of docs.values()) expect(d.converter).not.toBe('0');
  });

  it('--full fetches every body; the run after it is a refresh again', async () => {
    const full = await pullAndDecide(true);
    expect(full).toMatchObject({ plan: { kind: 'full', reason: 'on-demand' }, unchanged: 0 });
    sim.admin.traffic.reset();
    const quiet = await pullAndDecide();
    expect(quiet).toMatchObject({
      plan: { kind: 'incremental', base: { baseRunId: full.runId } },
      unchanged: expectedPageIds(sim).length,
    });
    expect(sim.admin.traffic.total.bodies).toBe(0);
    await expectExactlyTheSite();
  });
});
