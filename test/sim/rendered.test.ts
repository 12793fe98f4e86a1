import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_USERS, startSim, type SimHandle } from '../../sim/index.ts';
import { get } from './helpers.ts';

/** Every page listing of every space and the facts search of every page, as a run asks for them. */
async function answers(sim: SimHandle): Promise<string[]> {
  const out: string[] = [];
  const spaces = (await get(sim, '/wiki/api/v2/spaces?limit=250')).json as { results: { id: string }[] };
  const ids: string[] = [];
  for (const s of spaces.results) {
    let next: string | undefined = `/wiki/api/v2/spaces/${s.id}/pages?status=current,archived&limit=40`;
    while (next) {
      const r = await get(sim, next);
      out.push(r.text);
      const listing = r.json as { results: { id: string }[]; _links: { next?: string } };
      ids.push(...listing.results.map((p) => p.id));
      next = listing._links.next;
    }
  }
  for (let i = 0; i < ids.length; i += 50) {
    const q = new URLSearchParams({
      cql: `id in (${ids.slice(i, i + 50).join(',')})`,
      cqlcontext: JSON.stringify({ contentStatuses: ['current', 'archived'] }),
      expand: 'restrictions.read.restrictions.user,restrictions.read.restrictions.group,metadata.labels',
      limit: '50',
    });
    out.push((await get(sim, `/wiki/rest/api/content/search?${q}`)).text);
  }
  return out;
}

const FULL = DEFAULT_USERS[0]!;

/** Changes of every kind a page's listing entry or search result shows. */
function change(sim: SimHandle): void {
  const state = sim.admin.state;
  const pages = state.filterPages(FULL, { statuses: ['current'] });
  const [a, b, c, d, e, f] = pages.slice(5);
  const started = Date.now();
  sim.admin.editPage(a!.id, { title: 'Renamed "page" é' });
  sim.admin.restrictPage(b!.id, true);
  sim.admin.labelPage(c!.id, ['runbook']);
  sim.admin.movePage(d!.id, { parentId: e!.id });
  sim.admin.deletePage(f!.id);
  sim.admin.updateSpace(pages[0]!.spaceId, { type: 'personal' });
  sim.admin.addPage({ space: pages[0]!.spaceId, title: 'Added' });
  // The two simulators' clocks differ: what changed now gets one time in both (itself a change in place).
  for (const p of state.filterPages(FULL, { statuses: ['current', 'archived', 'trashed'] })) {
    if (p.modifiedAt >= started) p.modifiedAt = 1_770_000_000_000;
    if (p.createdAt >= started) p.createdAt = 1_770_000_000_000;
  }
}

describe('listing entries and search results kept between requests', () => {
  const sims: SimHandle[] = [];
  afterAll(() => Promise.all(sims.map((s) => s.close())));

  it('follow every change of their pages, as if nothing had been kept', async () => {
    const served = await startSim({ seed: 4, spaces: 3, pages: 150, port: 0 });
    const fresh = await startSim({ seed: 4, spaces: 3, pages: 150, port: 0 });
    sims.push(served, fresh);
    const before = await answers(served); // kept from here on
    expect(await answers(served)).toEqual(before);
    change(served);
    change(fresh);
    const after = await answers(served);
    expect(after).not.toEqual(before);
    // The fresh simulator rendered nothing before the changes; links name its own port.
    const port = (sim: SimHandle) => new URL(sim.baseUrl).port;
    expect(after.map((a) => a.replaceAll(port(served), 'PORT'))).toEqual(
      (await answers(fresh)).map((a) => a.replaceAll(port(fresh), 'PORT')),
    );
  });
});
