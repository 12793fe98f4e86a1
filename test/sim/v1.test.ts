import { describe, expect, it } from 'vitest';
import { get, useSim } from './helpers.ts';

interface V1List {
  results: {
    id: string;
    title: string;
    body?: { storage: { value: string } };
    version?: { number: number };
    space?: { key: string };
  }[];
  start: number;
  limit: number;
  size: number;
  _links: { base: string; context: string; next?: string };
}

describe('v1 REST API', () => {
  const ctx = useSim({ pages: 400 });

  it('pages content with start/limit, next links relative to _links.base, to the exact total', async () => {
    const { sim } = ctx;
    const seen = new Set<string>();
    let next: string | undefined = '/rest/api/content?type=page&limit=70&expand=body.storage,version,space';
    let first = true;
    while (next) {
      const r = await get(sim, `/wiki${next}`);
      expect(r.status).toBe(200);
      const body = r.json as V1List;
      expect(body._links.base).toBe(`${sim.baseUrl}/wiki`);
      expect(body._links.context).toBe('/wiki');
      expect(body.size).toBe(body.results.length);
      if (first) expect(body.start).toBe(0);
      first = false;
      for (const c of body.results) {
        expect(seen.has(c.id)).toBe(false);
        seen.add(c.id);
        expect(c.body?.storage.value).toContain('<h1>');
        expect(c.version?.number).toBeGreaterThan(0);
        expect(c.space?.key).toBeTruthy();
      }
      next = body._links.next;
      if (next) expect(next).toMatch(/^\/rest\/api\/content\?/);
    }
    expect(seen.size).toBe(sim.pages);
  });

  it('caps content limit at 1000 and filters by space key', async () => {
    const { sim } = ctx;
    const all = (await get(sim, '/wiki/rest/api/content?limit=5000')).json as V1List;
    expect(all.limit).toBe(1000);
    expect(all.size).toBe(sim.pages);
    expect(all._links.next).toBeUndefined();
    const eng = (await get(sim, '/wiki/rest/api/content?spaceKey=ENG&limit=1000&expand=space'))
      .json as V1List;
    expect(eng.size).toBeGreaterThan(0);
    expect(eng.results.every((c) => c.space?.key === 'ENG')).toBe(true);
  });

  it('lists spaces', async () => {
    const { sim } = ctx;
    const r = (await get(sim, '/wiki/rest/api/space?limit=2')).json as {
      results: { key: string }[];
      _links: { next?: string };
    };
    expect(r.results).toHaveLength(2);
    expect(r._links.next).toBe('/rest/api/space?limit=2&start=2');
  });

  it('404s an unknown content id in the v1 error shape', async () => {
    const { sim } = ctx;
    const r = await get(sim, '/wiki/rest/api/content/123');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ statusCode: 404, message: expect.any(String) });
  });

  it('CQL search by id (`id in (…)`, `id = N`): the readable pages among the ids, restrictions expanded', async () => {
    const { sim } = ctx;
    const all = await get(sim, '/wiki/rest/api/content/search?cql=type%3Dpage&limit=5');
    const ids = (all.json as V1List).results.map((r) => r.id);
    const trashed = sim.admin.addPage({ space: sim.admin.info().spaces[0]!.key, title: 'soon trashed' });
    sim.admin.deletePage(trashed.id);
    const cql = encodeURIComponent(`type=page and id in (${[...ids, trashed.id].join(', ')})`);
    const expand = 'restrictions.read.restrictions.user,restrictions.read.restrictions.group,ancestors';
    const r = await get(sim, `/wiki/rest/api/content/search?cql=${cql}&expand=${expand}&limit=200`);
    expect(r.status).toBe(200);
    const results = (r.json as { results: { id: string; restrictions?: unknown }[] }).results;
    expect(results.map((x) => x.id).sort()).toEqual([...ids].sort());
    expect(results.every((x) => x.restrictions !== undefined)).toBe(true);
    const one = await get(sim, `/wiki/rest/api/content/search?cql=${encodeURIComponent(`id = ${ids[0]}`)}`);
    expect((one.json as V1List).results.map((x) => x.id)).toEqual([ids[0]]);
    const bad = await get(sim, `/wiki/rest/api/content/search?cql=${encodeURIComponent('id in (1,')}`);
    expect(bad.status).toBe(400);
  });
});
