// The facts a run reads by id (restrictions, labels; ancestors from where the listing put each page)
// against the simulator (in-process): for every page they equal what a search expanding ancestors says,
// whatever order the batches come in, and a run's searches expand ancestors only for pages no listing
// placed (archived ancestors, Data Center's listing that gives no parent).
import { afterEach, describe, expect, it } from 'vitest';
import type { ConfluenceClient } from '../../producer/confluence-client.ts';
import { createConfluenceSource, type PageRef } from '../../producer/confluence-source.ts';
import { createRestrictionReader, SEARCH_LIMIT } from '../../producer/restrictions.ts';
import type { Space } from '../../schemas/index.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { captureLogger, simClient, simConfig } from './helpers.ts';

let sim: SimHandle | undefined;
let client: ConfluenceClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  client = sim = undefined;
});

async function setup() {
  sim = await startSim({ seed: 5, spaces: 4, pages: 900 });
  const cfg = simConfig(sim);
  const real = simClient(sim, captureLogger().log);
  client = real;
  /** Every search a reader sends: its expansions and the ids it asks for. */
  const searches: { expand: string; ids: string[] }[] = [];
  const spied: ConfluenceClient = {
    ...real,
    getJson(path, signal) {
      const url = new URL(path, 'http://x');
      const ids = /id in \(([\d,]+)\)/.exec(url.searchParams.get('cql') ?? '')?.[1]?.split(',');
      if (url.pathname.endsWith('/content/search') && ids)
        searches.push({ expand: url.searchParams.get('expand') ?? '', ids });
      return real.getJson(path, signal);
    },
  };
  const source = createConfluenceSource(real, { pageBase: `${cfg.siteUrl}/wiki` });
  const listed: (PageRef & { space: Space })[] = [];
  for await (const spaces of source.spaces())
    for (const space of spaces)
      for await (const refs of source.pageRefs(space)) listed.push(...refs.map((r) => ({ ...r, space })));
  const reader = createRestrictionReader(spied, { v1Root: '/wiki/rest/api', unreadable: 'fail' });
  /** The facts of every listed page as one search per space expanding ancestors says (the preview's way). */
  const expected = new Map<string, unknown>();
  for (const space of new Set(listed.map((p) => p.space))) {
    const facts = await reader.space(space);
    for (const p of listed) if (p.space === space) expected.set(p.id, facts.of(p.id));
  }
  searches.length = 0;
  return { listed, reader, searches, expected };
}

const batches = <T>(xs: T[]) =>
  Array.from({ length: Math.ceil(xs.length / SEARCH_LIMIT) }, (_, i) =>
    xs.slice(i * SEARCH_LIMIT, (i + 1) * SEARCH_LIMIT),
  );

describe('restriction facts by id', () => {
  it('equal a search expanding ancestors, with ancestors from the listing, in any batch order', async () => {
    const { listed, reader, searches, expected } = await setup();
    // Children before their parents (descending ids), each batch placed only when it is loaded: the
    // case where a page's ancestors are not listed yet when its facts are read.
    const site = reader.site();
    const descending = [...listed].sort((a, b) => Number(BigInt(b.id) - BigInt(a.id)));
    const loads: Promise<void>[] = [];
    for (const batch of batches(descending)) {
      site.place(batch);
      loads.push(site.load(batch));
      await site.read(batch); // the next batch is listed once this one's own search has answered
    }
    site.listingDone(); // what no listing placed is asked for now
    await Promise.all(loads);
    for (const p of listed) expect(site.of(p.id), p.id).toEqual(expected.get(p.id));

    // The site has what the comparison needs to mean something: restricted ancestors, and ancestors
    // no listing of current pages holds (archived).
    const ids = new Set(listed.map((p) => p.id));
    const facts = listed.map((p) => site.of(p.id));
    expect(
      facts.filter((f) => f.ancestorRestricted === true && f.restricted === false).length,
    ).toBeGreaterThan(0);
    expect(facts.filter((f) => f.ancestors.some((a) => !ids.has(a.id))).length).toBeGreaterThan(0);

    // Every listed page was asked for once; ancestors were expanded only for what no listing placed.
    const asked = searches.flatMap((s) => s.ids);
    expect(new Set(asked).size).toBe(asked.length);
    for (const p of listed) expect(asked).toContain(p.id);
    const expanded = searches.filter((s) => s.expand.split(',').includes('ancestors')).flatMap((s) => s.ids);
    expect(expanded.length).toBeGreaterThan(0);
    // One search per batch for the listed pages, none for an ancestor its own batch asks for anyway.
    expect(searches.length - new Set(searches.filter((s) => s.expand.includes('ancestors'))).size).toBe(
      batches(descending).length,
    );
    for (const id of expanded)
      expect(ids.has(id), `${id} was listed, yet its ancestors were expanded`).toBe(false);
  });

  it('equal it too when the listing says nothing of parents (Data Center), by expanding ancestors', async () => {
    const { listed, reader, searches, expected } = await setup();
    const site = reader.site();
    const unplaced = listed.map(({ id, version, space }) => ({ id, version, space }));
    site.listingDone();
    for (const batch of batches(unplaced)) await site.load(batch);
    for (const p of listed) expect(site.of(p.id), p.id).toEqual(expected.get(p.id));
    const listedIds = new Set(listed.map((p) => p.id));
    const firstRound = searches.filter((s) => s.ids.some((id) => listedIds.has(id)));
    for (const s of firstRound) expect(s.expand.split(',')).toContain('ancestors');
  });

  it('make a page whose parent no search returns (a folder, an unreadable page) never public', async () => {
    const { listed, reader } = await setup();
    const site = reader.site();
    const page = listed.find((p) => p.parentId === null)!;
    const placed = { ...page, parentId: '999999999' };
    site.listingDone();
    await site.load([placed]);
    expect(site.of(page.id)).toMatchObject({ restricted: false, ancestorRestricted: true });
  });
});
