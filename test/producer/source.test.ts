// The data source against the simulator (in-process): paging exactness, personal and archived spaces,
// and the pull staying exact through 429 storms, 5xx bursts, resets and truncated bodies.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfluenceError, type ConfluenceClient } from '../../producer/confluence-client.ts';
import {
  createConfluenceSource,
  IDS_PER_REQUEST,
  type ConfluenceSource,
} from '../../producer/confluence-source.ts';
import { startSim, type SimHandle, type SimOptions } from '../../sim/index.ts';
import { captureLogger, expectedPageIds, simClient, simConfig } from './helpers.ts';

let sim: SimHandle | undefined;
let client: ConfluenceClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  client = sim = undefined;
});

async function setup(options: SimOptions) {
  sim = await startSim({ seed: 7, ...options });
  const cfg = simConfig(sim);
  const { log, lines } = captureLogger();
  client = simClient(sim, log);
  return { sim, client, source: createConfluenceSource(client, { pageBase: `${cfg.siteUrl}/wiki` }), lines };
}

/** What a run reads: every space, every space's page ids, then the bodies by id in batches. */
async function pullAll(source: ConfluenceSource) {
  const spaces = [];
  for await (const batch of source.spaces()) spaces.push(...batch);
  const listed: string[] = [];
  for (const space of spaces) {
    for await (const refs of source.pageRefs(space)) listed.push(...refs.map((r) => r.id));
  }
  const pages = [];
  for (let i = 0; i < listed.length; i += IDS_PER_REQUEST) {
    pages.push(...(await source.pagesById(listed.slice(i, i + IDS_PER_REQUEST))));
  }
  return { spaces, listed, ids: pages.map((p) => p.id), pages };
}

describe('confluence source paging', () => {
  it.each([
    [0, 1],
    [1, 1],
    [250, 1],
    // past one listing page, both ends: the second ascending page and the first descending one
    [251, 3],
    [1_100, 6],
  ])('lists exactly %i pages of a one-space site, in %i listing requests', async (n, listings) => {
    const { sim, client, source } = await setup({ spaces: 1, pages: n });
    const { ids, listed, spaces } = await pullAll(source);
    expect(spaces).toHaveLength(1);
    expect(listed).toHaveLength(n);
    expect(new Set(listed).size).toBe(n);
    expect(ids).toHaveLength(n);
    expect([...ids].sort()).toEqual(expectedPageIds(sim));
    // one spaces request, the listings, then the bodies 250 ids at a time
    expect(client.stats.requests).toBe(1 + listings + Math.ceil(n / IDS_PER_REQUEST));
  });

  it('lists exactly 10,000 pages across spaces', async () => {
    const { sim, source } = await setup({ spaces: 4, pages: 10_000 });
    const { ids } = await pullAll(source);
    expect(ids).toHaveLength(10_000);
    expect([...ids].sort()).toEqual(expectedPageIds(sim));
  });

  it('reads personal and archived spaces, and builds absolute page URLs on the site from webui', async () => {
    const { sim, source } = await setup({ spaces: 8, pages: 400 });
    const { spaces, pages } = await pullAll(source);
    expect(spaces.map((s) => s.id).sort()).toEqual(
      sim.admin
        .info()
        .spaces.map((s) => s.id)
        .sort(),
    );
    expect(spaces.some((s) => s.type === 'personal' && s.key.startsWith('~'))).toBe(true);
    expect(spaces.some((s) => s.status === 'archived')).toBe(true);
    const personal = pages.filter((p) => p.space.type === 'personal');
    expect(personal.length).toBeGreaterThan(0);
    for (const p of pages.slice(0, 50)) {
      expect(p.url.startsWith(`${sim.baseUrl}/wiki/spaces/${p.space.key}/pages/${p.id}`)).toBe(true);
      expect(p.body.length).toBeGreaterThan(0);
      expect(p.status).toBe('current');
    }
  });

  it('stays exact when a page is deleted between two listing calls', async () => {
    const { sim, source } = await setup({ spaces: 1, pages: 600 });
    const [space] = await Array.fromAsync(source.spaces()).then((b) => b.flat());
    const before = expectedPageIds(sim);
    const ids: string[] = [];
    let deleted: string | undefined;
    for await (const refs of source.pageRefs(space!)) {
      ids.push(...refs.map((r) => r.id));
      if (!deleted) {
        // a page the next listing call would have returned
        deleted = before.find((id) => !ids.includes(id))!;
        sim.admin.deletePage(deleted);
      }
    }
    expect(ids).not.toContain(deleted);
    expect(ids.sort()).toEqual(before.filter((id) => id !== deleted));
  });
});

describe('confluence source: bodies by id', () => {
  it('returns only pages still current and readable, each in the space it is in now', async () => {
    const { sim, source } = await setup({ spaces: 3, pages: 60 });
    const spaces = (await Array.fromAsync(source.spaces())).flat();
    const ids = expectedPageIds(sim).slice(0, 40);
    const [trashed, purged, moved] = ids;
    sim.admin.deletePage(trashed!);
    sim.admin.deletePage(purged!, { purge: true });
    const from = sim.admin.page(moved!).spaceKey;
    const to = spaces.find((s) => s.key !== from && s.type !== 'personal')!;
    sim.admin.movePage(moved!, { space: to.key });
    const pages = await source.pagesById(ids);
    expect(pages.map((p) => p.id).sort()).toEqual(ids.filter((id) => id !== trashed && id !== purged).sort());
    expect(pages.find((p) => p.id === moved)!.space.key).toBe(to.key);
    for (const p of pages) expect(p.body.length).toBeGreaterThan(0);
  });

  it('asks for a space it has not listed (created during the run) once', async () => {
    const { sim, client, source } = await setup({ spaces: 2, pages: 20 });
    const ids = expectedPageIds(sim).slice(0, 5);
    const before = client.stats.requests;
    const pages = await source.pagesById(ids);
    expect(pages).toHaveLength(5);
    // one by-id request plus one per distinct space, none listed beforehand
    expect(client.stats.requests - before).toBe(1 + new Set(pages.map((p) => p.space.id)).size);
  });
});

describe('confluence source under faults', () => {
  it('rides out a 429 storm, counting each one', async () => {
    const { sim, client, source } = await setup({ spaces: 2, pages: 600 });
    sim.admin.addFault({ kind: '429', path: '/wiki/api/v2/spaces/*', count: 5 });
    sim.admin.addFault({ kind: 'absurd-retry-after', path: '/wiki/api/v2/spaces', count: 1 });
    const { ids } = await pullAll(source);
    expect(ids.sort()).toEqual(expectedPageIds(sim));
    expect(client.stats.rateLimited).toBe(6);
    expect(client.stats.retries).toBe(6);
  });

  it.each(['500', '502', '503', 'reset', 'truncate'] as const)(
    'retries a burst of %s and stays exact',
    async (kind) => {
      const { sim, client, source, lines } = await setup({ spaces: 2, pages: 600 });
      sim.admin.addFault({ kind, path: '/wiki/api/v2/spaces/*', count: 3 });
      const { ids } = await pullAll(source);
      expect(ids.sort()).toEqual(expectedPageIds(sim));
      expect(client.stats.retries).toBe(3);
      expect(lines.filter((l) => l.includes('retrying'))).toHaveLength(3);
    },
  );

  it('stays exact under random faults of every retryable kind', async () => {
    const { sim, client, source } = await setup({
      spaces: 5,
      pages: 3_000,
      faults: '500=0.04,502=0.03,503=0.03,429=0.05,reset=0.03,truncate=0.03',
    });
    const { ids } = await pullAll(source);
    expect(ids).toHaveLength(3_000);
    expect(ids.sort()).toEqual(expectedPageIds(sim));
    expect(client.stats.retries).toBeGreaterThan(0);
  });

  it('gives up on a listing that keeps failing, with a server error', async () => {
    const { sim, source } = await setup({ spaces: 2, pages: 100 });
    const [space] = await Array.fromAsync(source.spaces()).then((b) => b.flat());
    sim.admin.addFault({ kind: '503', space: space!.id });
    const err = await Array.fromAsync(source.pageRefs(space!)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfluenceError);
    expect((err as ConfluenceError).kind).toBe('server');
    expect((err as ConfluenceError).message).toMatch(/503.*gave up after 6 retries/);
  });
});
