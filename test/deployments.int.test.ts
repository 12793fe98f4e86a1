// Each deployment end to end on the real stack: Cloud with a classic token, Cloud with a scoped token
// through the gateway, Data Center with a personal access token (under a context path) — each pulled
// directly and through a real proxy process — and the alias serves exactly the pages the credentials
// can read, with URLs that open on the customer's site. Two sites behind one gateway get two source
// ids and two aliases. A site that serves a wrong token as anonymous never gets its anonymous subset live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { startIndexer } from '../indexer/service.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { aliasName } from '../indexer/index-names.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../sim/index.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { cleanUp, runDecided } from './indexer/fixtures.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { startProxy, type ProxyHandle } from './stack/proxy.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('deployments');
log.level = 'warn';
const SCOPES = ['read:confluence-user', 'read:space:confluence', 'read:page:confluence', 'search:confluence'];

let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
let siteA: SimHandle;
let siteB: SimHandle;
let dc: SimHandle;
let publicSite: SimHandle;
let gateway: GatewayHandle;
let proxy: ProxyHandle;
const services = () => servicesConfig(env);

beforeAll(async () => {
  env = isolatedEnv('deploy', { INDEXER_SWEEP_SECONDS: '1' });
  siteA = await startSim({ seed: 31, spaces: 3, pages: 40 });
  siteB = await startSim({ seed: 32, spaces: 3, pages: 25 });
  for (const site of [siteA, siteB])
    site.admin.setUser('bot@example.com', { token: 'scoped-bot-token', scopes: SCOPES });
  // On site B the scoped account cannot read restricted pages: "readable" is the account's view.
  siteB.admin.setUser('bot@example.com', { access: 'limited' });
  dc = await startSim({
    seed: 33,
    spaces: 3,
    pages: 30,
    deployment: 'data-center',
    contextPath: '/confluence',
  });
  publicSite = await startSim({ seed: 34, spaces: 3, pages: 30, badCredentials: 'anonymous' });
  gateway = await startGateway({ sites: [siteA, siteB] });
  proxy = await startProxy({ auth: 'corp:proxy-password-1' });
  transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log });
});

afterAll(async () => {
  await transformer?.stop();
  await indexer?.stop();
  await gateway?.close();
  for (const s of [siteA, siteB, dc, publicSite]) await s?.close().catch(() => {});
  await proxy?.stop();
  if (env) await cleanUp(services());
});

const classic = (site: SimHandle) => ({
  CONFLUENCE_BASE_URL: site.baseUrl,
  CONFLUENCE_EMAIL: site.email,
  CONFLUENCE_API_TOKEN: site.token,
});
const scoped = (site: SimHandle) => ({
  CONFLUENCE_DEPLOYMENT: 'cloud-scoped',
  CONFLUENCE_BASE_URL: site.baseUrl,
  CONFLUENCE_GATEWAY_URL: gateway.url,
  CONFLUENCE_EMAIL: 'bot@example.com',
  CONFLUENCE_API_TOKEN: 'scoped-bot-token',
});
const dataCenter = () => ({
  CONFLUENCE_DEPLOYMENT: 'data-center',
  CONFLUENCE_BASE_URL: dc.baseUrl,
  CONFLUENCE_API_TOKEN: dc.token,
});

/** One pull, then the indexer's decision on it. */
async function pull(extra: Record<string, string>) {
  const cfg = producerConfig({ ...env, ...extra });
  const summary = await runPull(cfg, { log });
  const es = createElasticsearch(services());
  const state = await runDecided(createRunStore(es, services().indexPrefix), summary.runId, 120_000);
  await es.close();
  return { cfg, summary, state };
}

async function aliasDocs(sourceId: string): Promise<Map<string, { url: string }>> {
  const es = createElasticsearch(services());
  const res = await es.search<{ url: string }>({
    index: aliasName(services().indexPrefix, sourceId),
    size: 10_000,
    _source: ['url'],
  });
  await es.close();
  return new Map(res.hits.hits.map((h) => [h._id!, h._source!]));
}

const hostOf = (url: string) => new URL(url).host;

describe.each([
  ['Cloud, classic token', () => siteA, () => classic(siteA), undefined, () => [siteA.baseUrl]],
  [
    'Cloud, scoped token via the gateway',
    () => siteB,
    () => scoped(siteB),
    'bot@example.com',
    () => [siteB.baseUrl, gateway.url],
  ],
  ['Data Center, personal access token', () => dc, dataCenter, undefined, () => [dc.baseUrl]],
])('%s', (_name, site, credentials, account, hosts) => {
  it.each([
    ['directly', false],
    ['through a proxy', true],
  ])(
    'pulled %s: the alias serves exactly the readable pages, at URLs that open on the site',
    async (_how, viaProxy) => {
      proxy.seen.length = 0;
      const { cfg, summary, state } = await pull({
        ...credentials(),
        ...(viaProxy ? { HTTP_PROXY: proxy.url } : {}),
      });
      expect(summary.status, summary.error ?? '').toBe('SUCCEEDED');
      expect(state.status, state.reason ?? '').toBe('flipped');
      expect(cfg.sourceId).toBe(
        `127-0-0-1-${new URL(site().baseUrl).port}${cfg.deployment === 'data-center' ? '-confluence' : ''}`,
      );
      const docs = await aliasDocs(cfg.sourceId);
      expect([...docs.keys()].sort()).toEqual(expectedPageIds(site(), account));
      for (const { url } of docs.values()) expect(url.startsWith(`${site().baseUrl}/`), url).toBe(true);
      for (const { url } of [...docs.values()].slice(0, 8)) expect((await fetch(url)).status, url).toBe(200);
      const tunnelled = new Set(
        proxy.seen.filter((s) => s.method === 'CONNECT' && s.status === 200).map((s) => s.target),
      );
      expect([...tunnelled].sort()).toEqual(viaProxy ? hosts().map(hostOf).sort() : []);
    },
  );
});

describe('two sites behind one gateway', () => {
  it('get two source ids and two aliases, each with its own site’s pages', async () => {
    const a = await pull(scoped(siteA));
    const b = await pull(scoped(siteB));
    expect(a.summary.status).toBe('SUCCEEDED');
    expect(b.summary.status).toBe('SUCCEEDED');
    expect(a.cfg.sourceId).not.toBe(b.cfg.sourceId);
    const [docsA, docsB] = [await aliasDocs(a.cfg.sourceId), await aliasDocs(b.cfg.sourceId)];
    expect([...docsA.keys()].sort()).toEqual(expectedPageIds(siteA, 'bot@example.com'));
    expect([...docsB.keys()].sort()).toEqual(expectedPageIds(siteB, 'bot@example.com'));
    for (const { url } of docsA.values()) expect(hostOf(url)).toBe(hostOf(siteA.baseUrl));
  });
});

describe('a site that serves a wrong token as the anonymous user', () => {
  it('fails the run before pulling, and the live alias keeps the full pull', async () => {
    const good = await pull(classic(publicSite));
    expect(good.state.status).toBe('flipped');
    const full = expectedPageIds(publicSite);
    const anonymous = publicSite.admin.state.filterPages(
      publicSite.admin.state.anonymousUser(publicSite.admin.settings.anonymousSpaces),
      { statuses: ['current'] },
    );
    expect(anonymous.length).toBeGreaterThan(0);
    expect(anonymous.length).toBeLessThan(full.length);

    const bad = await pull({ ...classic(publicSite), CONFLUENCE_API_TOKEN: 'an-expired-api-token' });
    expect(bad.summary.status).toBe('FAILED');
    expect(bad.summary.error).toMatch(/treats the API token of sim@example.com as the anonymous user/);
    expect(bad.summary.pages).toBe(0);
    expect(bad.state.status).not.toBe('flipped');
    expect([...(await aliasDocs(good.cfg.sourceId)).keys()].sort()).toEqual(full);
  });
});
