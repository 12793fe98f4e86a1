// The visibility policy and the page context on the real stack: simulator → producer → transformer →
// indexer → alias → search. Restricted pages, pages under a restricted parent, system spaces and
// labelled pages are internal with their reason and never reach a customer; a site whose restrictions
// cannot be read never publishes them; a run that turns the site internal is held until released.
// Mentions, section links, breadcrumbs after a move, and diagram-only pages too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { startIndexer } from '../indexer/service.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { aliasName } from '../indexer/index-names.ts';
import { release } from '../ops/runs.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import type { HtmlPage } from '../schemas/index.ts';
import { search } from '../search/query.ts';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../sim/index.ts';
import { displayNameOf } from '../sim/model.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { cleanUp, runDecided } from './indexer/fixtures.ts';
import { isolatedEnv } from './stack/services.ts';
import { find as findElements } from './transformer/helpers.ts';

const log = createLogger('visibility-test');
log.level = 'warn';
const SOURCE = 'visibility-site';

let sim: SimHandle;
let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
let gateway: GatewayHandle;
const services = () => servicesConfig(env);
const ids: Record<string, string> = {};

async function pull(extra: Record<string, string> = {}) {
  return runPull(producerConfig({ ...env, ...extra }), { log });
}

async function decided(runId: string) {
  const client = createElasticsearch(services());
  try {
    return await runDecided(createRunStore(client, services().indexPrefix), runId, 120_000);
  } finally {
    await client.close();
  }
}

async function liveDocs(): Promise<Map<string, HtmlPage>> {
  const client = createElasticsearch(services());
  try {
    const res = await client.search<HtmlPage>({
      index: aliasName(services().indexPrefix, SOURCE),
      size: 1000,
    });
    return new Map(res.hits.hits.map((h) => [h._id!, h._source!]));
  } finally {
    await client.close();
  }
}

async function find(q: string, audience: 'customer' | 'agent') {
  const client = createElasticsearch(services());
  try {
    return (await search(client, services().indexPrefix, { source: SOURCE, q, audience })).results;
  } finally {
    await client.close();
  }
}

const scopedWithoutSearch = () => ({
  CONFLUENCE_DEPLOYMENT: 'cloud-scoped',
  CONFLUENCE_GATEWAY_URL: gateway.url,
  CONFLUENCE_EMAIL: 'bot@example.com',
  CONFLUENCE_API_TOKEN: 'scoped-bot-token',
});

const plain = (name: string, text: string) =>
  `<ac:structured-macro ac:name="${name}" ac:schema-version="1"><ac:plain-text-body><![CDATA[${text}]]></ac:plain-text-body></ac:structured-macro>`;

beforeAll(async () => {
  sim = await startSim({ seed: 1515, spaces: 4, pages: 30 });
  const spaces = sim.admin.info().spaces.filter((s) => s.type === 'global');
  const [docs, sys] = [spaces[0]!, spaces[1]!];
  sim.admin.updateSpace(sys.key, { type: 'system' });
  const add = (name: string, input: Parameters<SimHandle['admin']['addPage']>[0]) =>
    (ids[name] = sim.admin.addPage(input).id);
  add('restricted', { space: docs.id, title: 'HR case', body: '<p>secret okapiword</p>', restricted: true });
  add('parent', { space: docs.id, title: 'Incidents', body: '<p>parent</p>', restricted: true });
  add('child', {
    space: docs.id,
    title: 'Incident 7',
    parentId: ids.parent!,
    body: '<p>child narwhalword</p>',
  });
  add('labelled', { space: docs.id, title: 'Draft pricing', body: '<p>labelled ibexword</p>' });
  sim.admin.labelPage(ids.labelled!, ['internal-only']);
  add('system', { space: sys.id, title: 'System notes', body: '<p>system tapirword</p>' });
  const me = sim.admin.info().users.find((u) => u.email === sim.email)!.accountId;
  add('mention', {
    space: docs.id,
    title: 'Owners',
    body: `<p>Ask <ac:link><ri:user ri:account-id="${me}" /></ac:link> or <ac:link><ri:user ri:account-id="712020:nobody-knows" /></ac:link></p>`,
  });
  add('sections', {
    space: docs.id,
    title: 'Flux guide',
    body: '<h1>Getting started</h1><p>Plug it in.</p><h2>Reset the capacitor</h2><p>Hold the quokkaword button.</p>',
  });
  add('diagrams', {
    space: docs.id,
    title: 'Architecture diagrams',
    body:
      plain('plantuml', '@startuml\nWombatgateway -> Ledger: post\n@enduml') +
      plain('mermaid', 'graph TD; Platypusqueue-->Ledger'),
  });
  add('alpha', { space: docs.id, title: 'Alpha parent', body: '<p>a</p>' });
  add('beta', { space: docs.id, title: 'Beta parent', body: '<p>b</p>' });
  add('moved', { space: docs.id, title: 'Moving page', parentId: ids.alpha!, body: '<p>moving</p>' });

  env = isolatedEnv('visibility', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
    INDEXER_SWEEP_SECONDS: '1',
  });
  // A scoped token that may read spaces and pages but not search: it cannot learn restrictions.
  sim.admin.setUser('bot@example.com', {
    token: 'scoped-bot-token',
    scopes: ['read:confluence-user', 'read:space:confluence', 'read:page:confluence'],
  });
  gateway = await startGateway({ sites: [sim] });
  transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log });
}, 120_000);

afterAll(async () => {
  await transformer?.stop();
  await indexer?.stop();
  await gateway?.close();
  await sim?.close().catch(() => {});
  if (env) await cleanUp(services());
});

describe('visibility policy and page context on the real stack', () => {
  it('restricted, under a restricted parent, in a system space, labelled: internal with the reason', async () => {
    const run = await pull();
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
    expect((await decided(run.runId)).status).toBe('flipped');
    const docs = await liveDocs();
    const reason = (name: string) => docs.get(ids[name]!)?.visibilityReason;
    expect(reason('restricted')).toBe('restricted');
    expect(reason('parent')).toBe('restricted');
    expect(reason('child')).toBe('restricted-ancestor');
    expect(reason('system')).toBe('space-type');
    expect(reason('labelled')).toBe('label');
    expect(reason('sections')).toBe('default');
    for (const name of ['restricted', 'parent', 'child', 'system', 'labelled'])
      expect(docs.get(ids[name]!)?.visibility).toBe('internal');
    for (const d of docs.values()) if (d.visibility === 'public') expect(d.visibilityReason).toBe('default');
    expect(docs.get(ids.labelled!)?.labels).toEqual(['internal-only']);
  });

  it('customer search never returns them; agent search does, with the reason', async () => {
    for (const word of ['okapiword', 'narwhalword', 'ibexword', 'tapirword']) {
      expect(await find(word, 'customer')).toEqual([]);
      const [hit] = await find(word, 'agent');
      expect(hit?.visibility).toBe('internal');
      expect(hit?.visibilityReason).toMatch(/restricted|label|space-type/);
    }
  });

  it('a mention shows the display name; an unknown account stays "@user"', async () => {
    const doc = (await liveDocs()).get(ids.mention!)!;
    const me = sim.admin.info().users.find((u) => u.email === sim.email)!.accountId;
    expect(doc.text).toContain(`Ask @${displayNameOf(me)} or @user`);
  });

  it('a search hit links to the heading that matched, an anchor that exists in the HTML', async () => {
    const [hit] = await find('quokkaword', 'customer');
    expect(hit?.pageId).toBe(ids.sections);
    expect(hit?.section?.path).toEqual(['Getting started', 'Reset the capacitor']);
    // Confluence's format: title and heading without whitespace, joined by a hyphen.
    expect(hit?.section?.url).toBe(`${hit!.url}#Fluxguide-Resetthecapacitor`);
    const doc = (await liveDocs()).get(ids.sections!)!;
    expect(findElements(doc.html, 'h2').map((h) => h.attrs.id)).toEqual(['Fluxguide-Resetthecapacitor']);
  });

  it("a page of PlantUML and Mermaid macros only is searchable by its diagrams' words", async () => {
    expect((await find('Wombatgateway', 'customer')).map((h) => h.pageId)).toEqual([ids.diagrams]);
    expect((await find('Platypusqueue', 'customer')).map((h) => h.pageId)).toEqual([ids.diagrams]);
  });

  it('breadcrumbs, author and update time are in documents and hits, and follow a move', async () => {
    let doc = (await liveDocs()).get(ids.moved!)!;
    expect(doc.breadcrumbs.at(-1)).toBe('Alpha parent');
    expect(doc.author).toMatch(/\S+ \S+/);
    sim.admin.movePage(ids.moved!, { parentId: ids.beta! });
    const run = await pull();
    expect((await decided(run.runId)).status).toBe('flipped');
    doc = (await liveDocs()).get(ids.moved!)!;
    expect(doc.breadcrumbs.at(-1)).toBe('Beta parent');
    const [hit] = await find('Moving page', 'agent');
    expect(hit?.breadcrumbs.at(-1)).toBe('Beta parent');
    expect(hit?.updatedAt).toBeTruthy();
  });

  it('when restrictions cannot be read, the run fails saying what to grant, and nothing goes live', async () => {
    const before = await liveDocs();
    const run = await pull(scopedWithoutSearch());
    expect(run.status).toBe('FAILED');
    expect(run.error).toMatch(/would not say which pages are restricted/);
    expect(run.hint).toMatch(/search:confluence/);
    expect(run.hint).toMatch(/VISIBILITY_UNREADABLE_RESTRICTIONS=internal/);
    expect((await decided(run.runId)).status).toBe('failed');
    expect([...(await liveDocs()).keys()].sort()).toEqual([...before.keys()].sort());
  });

  it('treated as internal by choice, the run is held as an audience shift with both counts; release flips it', async () => {
    const run = await pull({ ...scopedWithoutSearch(), VISIBILITY_UNREADABLE_RESTRICTIONS: 'internal' });
    expect(run.status, run.error ?? '').toBe('SUCCEEDED');
    const held = await decided(run.runId);
    expect(held.status).toBe('held');
    expect(held.reason).toMatch(/audience shift, \d+ of \d+ live public pages would become internal/);
    expect(held.publicDocs).toBe(0);
    expect(held.livePublicDocs).toBeGreaterThan(0);
    const client = createElasticsearch(services());
    try {
      const flipped = await release(client, indexerConfig(env), run.runId, log);
      expect(flipped.status).toBe('flipped');
    } finally {
      await client.close();
    }
    const docs = await liveDocs();
    for (const d of docs.values())
      expect(d.visibilityReason).toMatch(/restrictions-unreadable|personal-space/);
    expect(await find('quokkaword', 'customer')).toEqual([]);
  });
});
