// Compressed answers end to end: the producer's client asks for gzip and inflates what comes back, so a
// pull through a compressing simulator (Cloud and Data Center) gives exactly the pages a plain one
// does, for a fraction of the bytes on the wire; a gzip body cut short or corrupted is a clear,
// retried Confluence error.
import { afterEach, describe, expect, it } from 'vitest';
import { producerConfig } from '../../producer/config.ts';
import { ConfluenceError } from '../../producer/confluence-client.ts';
import { openSite, type ConfluenceSite } from '../../producer/site.ts';
import { startSim, type SimHandle, type SimOptions } from '../../sim/index.ts';
import { captureLogger, expectedPageIds, simEnv } from './helpers.ts';

let sim: SimHandle | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function open(options: SimOptions) {
  sim = await startSim({ seed: 31, spaces: 2, ...options });
  const env = simEnv(
    sim,
    options.deployment === 'data-center' ? { CONFLUENCE_DEPLOYMENT: 'data-center' } : {},
  );
  const cfg = producerConfig(env);
  const { log, lines } = captureLogger();
  const retry = { ...cfg.retry, baseDelayMs: 5, maxDelayMs: 20 };
  return { sim, lines, connect: () => openSite(cfg, { connections: 4, retry, log }) };
}

/** Every space, every page id, then every page by id: what a run reads. */
async function pull(site: ConfluenceSite) {
  const ids: string[] = [];
  for await (const batch of site.spaces())
    for (const space of batch)
      for await (const refs of site.pageRefs(space)) ids.push(...refs.map((r) => r.id));
  const pages = [];
  for (let i = 0; i < ids.length; i += 250) pages.push(...(await site.pagesById(ids.slice(i, i + 250))));
  // When it was fetched is all that may differ between two pulls. As text: comparing 400 bodies as
  // Buffers goes byte by byte through the matcher's generic equality (tens of seconds).
  return pages
    .map(({ fetchedAt: _, ...page }) => ({ ...page, body: page.body.toString('utf8') }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

describe.each(['cloud', 'data-center'] as const)('a pull from %s', (deployment) => {
  it('gives the same pages compressed as plain, for a fraction of the bytes on the wire', async () => {
    const { sim, connect } = await open({ pages: 400, deployment });
    const pulled = async (gzip: boolean) => {
      sim.admin.configure({ gzip });
      sim.admin.traffic.reset();
      const site = await connect();
      try {
        const pages = await pull(site);
        // The client's count and the simulator's are the same bytes: those on the wire.
        expect(site.stats.bytes).toBe(sim.admin.traffic.total.bytes);
        return { pages, wire: site.stats.bytes, json: sim.admin.traffic.total.jsonBytes };
      } finally {
        await site.close();
      }
    };
    const plain = await pulled(false);
    const zipped = await pulled(true);
    expect(plain.pages.map((p) => p.id)).toEqual(expectedPageIds(sim).sort((a, b) => a.localeCompare(b)));
    expect(zipped.pages).toEqual(plain.pages);
    expect(plain.wire).toBe(plain.json);
    expect(zipped.json).toBe(plain.json);
    // Real prose compresses ~2.7x (sim/prose.ts); the listings and facts much more.
    expect(zipped.wire).toBeLessThan(plain.wire / 2);
  });
});

describe('a gzip body that does not inflate', () => {
  it.each(['corrupt', 'truncate'] as const)('a %s one is retried, and the pull stays exact', async (kind) => {
    const { sim, lines, connect } = await open({ pages: 300 });
    sim.admin.addFault({ kind, path: '/wiki/api/v2/spaces/*', count: 2 });
    const site = await connect();
    try {
      const pages = await pull(site);
      expect(pages.map((p) => p.id)).toEqual(expectedPageIds(sim).sort((a, b) => a.localeCompare(b)));
      expect(site.stats.retries).toBe(2);
      const retried = lines.filter((l) => l.includes('retrying'));
      expect(retried).toHaveLength(2);
      expect(retried.every((l) => l.includes('"kind":"truncated"'))).toBe(true);
    } finally {
      await site.close();
    }
  });

  it('that keeps coming is a truncated Confluence error that says so', async () => {
    const { sim, connect } = await open({ pages: 300 });
    const site = await connect();
    try {
      const [space] = (await Array.fromAsync(site.spaces())).flat();
      sim.admin.addFault({ kind: 'corrupt', space: space!.id });
      const err = await Array.fromAsync(site.pageRefs(space!)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfluenceError);
      const e = err as ConfluenceError;
      expect(e.kind).toBe('truncated');
      expect(e.retryable).toBe(true);
      expect(e.status).toBe(200);
      expect(e.message).toMatch(
        /^GET \/wiki\/api\/v2\/spaces\/\d+\/pages\?.* answered 200 with a gzip body that does not inflate \(.+\): cut short or corrupted on the way \(gave up after \d+ retries\)$/,
      );
    } finally {
      await site.close();
    }
  });
});
