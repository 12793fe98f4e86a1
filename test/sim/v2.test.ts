import { describe, expect, it } from 'vitest';
import { get, pageAll, useSim, type V2Page, type V2Space } from './helpers.ts';

describe('v2 spaces and pages', () => {
  const ctx = useSim();

  it('pages through every page in 250-item pages to the exact total, without duplicates', async () => {
    const { sim } = ctx;
    const { items, requests } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250&status=current');
    expect(items).toHaveLength(sim.pages);
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
    expect(requests).toBe(Math.ceil(sim.pages / 250));
    expect(items.every((p) => typeof p.id === 'string' && /^\d+$/.test(p.id))).toBe(true);
  });

  it('defaults to current and archived pages, 25 per page, and clamps limit to 250', async () => {
    const { sim } = ctx;
    const first = await get(sim, '/wiki/api/v2/pages');
    expect((first.json as { results: unknown[] }).results).toHaveLength(25);
    const big = await get(sim, '/wiki/api/v2/pages?limit=1000');
    expect((big.json as { results: unknown[] }).results).toHaveLength(250);
    const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250');
    const statuses = new Set(items.map((p) => p.status));
    expect([...statuses].sort()).toEqual(['archived', 'current']);
    const trashed = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250&status=trashed');
    expect(trashed.items.length).toBeGreaterThan(0);
    expect(trashed.items.every((p) => p.status === 'trashed')).toBe(true);
  });

  it('gives relative next links that agree with the Link header, and none on the last page', async () => {
    const { sim } = ctx;
    const r = await get(sim, '/wiki/api/v2/pages?limit=100&body-format=storage');
    const body = r.json as { _links: { next: string; base: string } };
    expect(body._links.next).toMatch(/^\/wiki\/api\/v2\/pages\?.*cursor=/);
    expect(body._links.next).toContain('body-format=storage');
    expect(body._links.base).toBe(`${sim.baseUrl}/wiki`);
    expect(r.headers.get('link')).toContain(`<${body._links.next}>; rel="next"`);
    const spaces = await get(sim, '/wiki/api/v2/spaces?limit=250');
    expect((spaces.json as { _links: { next?: string } })._links.next).toBeUndefined();
    expect(spaces.headers.get('link')).toBeNull();
  });

  it('omits bodies unless body-format is given', async () => {
    const { sim } = ctx;
    const plain = (await get(sim, '/wiki/api/v2/pages?limit=5')).json as { results: V2Page[] };
    expect(plain.results.every((p) => JSON.stringify(p.body) === '{}')).toBe(true);
    const withBody = (await get(sim, '/wiki/api/v2/pages?limit=5&body-format=storage')).json as {
      results: V2Page[];
    };
    for (const p of withBody.results) {
      expect(p.body.storage?.representation).toBe('storage');
      expect(p.body.storage?.value.length).toBeGreaterThan(100);
    }
  });

  it('lists spaces with filters, personal ones included', async () => {
    const { sim } = ctx;
    const all = await pageAll<V2Space>(sim, '/wiki/api/v2/spaces?limit=2');
    expect(all.items).toHaveLength(6);
    const personal = all.items.filter((s) => s.type === 'personal');
    expect(personal.length).toBeGreaterThan(0);
    for (const s of personal) expect(s.key).toMatch(/^~[0-9a-f]{38}$/);
    const onlyPersonal = (await get(sim, '/wiki/api/v2/spaces?type=personal')).json as { results: V2Space[] };
    expect(onlyPersonal.results.map((s) => s.key)).toEqual(personal.map((s) => s.key));
    const byKey = (await get(sim, `/wiki/api/v2/spaces?keys=ENG,${personal[0]!.key}`)).json as {
      results: V2Space[];
    };
    expect(byKey.results.map((s) => s.key).sort()).toEqual(['ENG', personal[0]!.key].sort());
    const archived = (await get(sim, '/wiki/api/v2/spaces?status=archived')).json as { results: V2Space[] };
    expect(archived.results.every((s) => s.status === 'archived')).toBe(true);
  });

  it('lists a space’s pages, the whole tree or only the root', async () => {
    const { sim } = ctx;
    const spaces = ((await get(sim, '/wiki/api/v2/spaces')).json as { results: V2Space[] }).results;
    let total = 0;
    for (const s of spaces) {
      const { items } = await pageAll<V2Page>(
        sim,
        `/wiki/api/v2/spaces/${s.id}/pages?limit=250&status=current`,
      );
      expect(items.every((p) => p.spaceId === s.id)).toBe(true);
      total += items.length;
      const roots = await pageAll<V2Page>(sim, `/wiki/api/v2/spaces/${s.id}/pages?depth=root&limit=250`);
      expect(roots.items.every((p) => p.parentId === undefined)).toBe(true);
      expect(roots.items.map((p) => p.id)).toContain(s.homepageId);
    }
    expect(total).toBe(sim.pages);
    const filtered = await pageAll<V2Page>(
      sim,
      `/wiki/api/v2/pages?space-id=${spaces[0]!.id}&limit=250&status=current`,
    );
    expect(filtered.items.every((p) => p.spaceId === spaces[0]!.id)).toBe(true);
  });

  it('builds page trees through parentId within a space, and webui links like Confluence', async () => {
    const { sim } = ctx;
    const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250');
    const byId = new Map(items.map((p) => [p.id, p]));
    const children = items.filter((p) => p.parentId && byId.has(p.parentId));
    expect(children.length).toBeGreaterThan(items.length / 2);
    for (const c of children) expect(byId.get(c.parentId!)!.spaceId).toBe(c.spaceId);
    const spaces = ((await get(sim, '/wiki/api/v2/spaces?limit=250')).json as { results: V2Space[] }).results;
    const keyOf = new Map(spaces.map((s) => [s.id, s.key]));
    for (const p of items.slice(0, 50)) {
      expect(p._links.webui).toBe(
        `/spaces/${keyOf.get(p.spaceId)}/pages/${p.id}/${encodeURIComponent(p.title).replace(/%20/g, '+')}`,
      );
    }
    const titlesPerSpace = new Set(items.map((p) => `${p.spaceId}|${p.title}`));
    expect(titlesPerSpace.size).toBe(items.length);
    expect(items.some((p) => /[^\x20-\x7e]/.test(p.title))).toBe(true);
  });

  it('sorts by title and pages consistently through a non-id sort', async () => {
    const { sim } = ctx;
    const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=97&sort=-title');
    const titles = items.map((p) => p.title);
    expect(titles).toEqual([...titles].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0)));
    expect(new Set(items.map((p) => p.id)).size).toBe(items.length);
  });

  it('gets a page by id, and 404s in the v2 error shape for an unknown one', async () => {
    const { sim } = ctx;
    const list = (await get(sim, '/wiki/api/v2/pages?limit=1')).json as { results: V2Page[] };
    const id = list.results[0]!.id;
    const one = await get(sim, `/wiki/api/v2/pages/${id}?body-format=storage`);
    expect(one.status).toBe(200);
    expect((one.json as V2Page).id).toBe(id);
    expect((one.json as V2Page).body.storage?.value).toContain('<h1>');
    const missing = await get(sim, '/wiki/api/v2/pages/999999999');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({
      errors: [{ status: 404, code: 'NOT_FOUND', title: expect.any(String), detail: null }],
    });
  });

  it('rejects unknown enum values, bad limits and bad cursors with 400 in the v2 error shape', async () => {
    const { sim } = ctx;
    for (const q of [
      'body-format=html',
      'status=draft',
      'sort=size',
      'limit=0',
      'limit=abc',
      'cursor=not-a-cursor',
      'space-id=ENG',
    ]) {
      const r = await get(sim, `/wiki/api/v2/pages?${q}`);
      expect(r.status, q).toBe(400);
      expect((r.json as { errors: { status: number; code: string }[] }).errors[0]).toMatchObject({
        status: 400,
      });
    }
    expect((await get(sim, '/wiki/api/v2/spaces?type=team')).status).toBe(400);
    expect((await get(sim, '/wiki/api/v2/spaces?status=deleted')).status).toBe(400);
    expect((await get(sim, '/wiki/api/v2/spaces/1/pages?depth=2')).status).toBe(400);
  });

  it('does not serve drafts unless asked by id with get-draft', async () => {
    const { sim } = ctx;
    const draft = sim.admin.addPage({ space: 'ENG', title: 'Draft only', status: 'draft' });
    const { items } = await pageAll<V2Page>(
      sim,
      '/wiki/api/v2/pages?limit=250&status=current,archived,trashed',
    );
    expect(items.map((p) => p.id)).not.toContain(draft.id);
    expect((await get(sim, `/wiki/api/v2/pages/${draft.id}`)).status).toBe(404);
    expect((await get(sim, `/wiki/api/v2/pages/${draft.id}?get-draft=true`)).status).toBe(200);
  });
});
