// The data source against the simulator (in-process): paging exactness, personal and archived spaces,
// and the pull staying exact through 429 storms, 5xx bursts, resets and truncated bodies.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfluenceError,
  createConfluenceClient,
  type ConfluenceClient,
} from '../../producer/confluence-client.ts';
import { createConfluenceSource } from '../../producer/confluence-source.ts';
import { startSim, type SimHandle, type SimOptions } from '../../sim/index.ts';
import { captureLogger, expectedPageIds, simConfig } from './helpers.ts';

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
  client = createConfluenceClient({
    apiUrl: cfg.siteUrl,
    authorization: cfg.authorization,
    proxy: cfg.proxy,
    connections: 4,
    requestTimeoutMs: 10_000,
    retry: cfg.retry,
    log,
  });
  return { sim, client, source: createConfluenceSource(client, { pageBase: `${cfg.siteUrl}/wiki` }), lines };
}

async function pullAll(source: ReturnType<typeof createConfluenceSource>) {
  const spaces = [];
  for await (const batch of source.spaces()) spaces.push(...batch);
  const ids: string[] = [];
  const pages = [];
  for (const space of spaces) {
    for await (const batch of source.pages(space)) {
      for (const p of batch) {
        ids.push(p.id);
        pages.push(p);
      }
    }
  }
  return { spaces, ids, pages };
}

describe('confluence source paging', () => {
  it.each([0, 1, 250, 251])('lists exactly %i pages of a one-space site', async (n) => {
    const { sim, client, source } = await setup({ spaces: 1, pages: n });
    const { ids, spaces } = await pullAll(source);
    expect(spaces).toHaveLength(1);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    expect([...ids].sort()).toEqual(expectedPageIds(sim));
    // one spaces request, then ceil(n / 250) page listings (one empty listing when there are none)
    expect(client.stats.requests).toBe(1 + Math.max(1, Math.ceil(n / 250)));
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
    for await (const batch of source.pages(space!)) {
      ids.push(...Array.from(batch, (p) => p.id));
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
    const err = await Array.fromAsync(source.pages(space!)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfluenceError);
    expect((err as ConfluenceError).kind).toBe('server');
    expect((err as ConfluenceError).message).toMatch(/503.*gave up after 6 retries/);
  });
});
