import { describe, expect, it } from 'vitest';
import { get, pageAll, useSim, type V2Page, type V2Space } from './helpers.ts';

async function admin(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, string> }> {
  // Loosely typed: assertions below check the values.
  const res = await fetch(`${baseUrl}/__sim/${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

async function currentIds(sim: Parameters<typeof pageAll>[0]): Promise<Set<string>> {
  const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250&status=current');
  return new Set(items.map((p) => p.id));
}

describe('admin API: changes between runs propagate', () => {
  const ctx = useSim({ pages: 200 });

  it('adds a page (over HTTP) that then appears in listings with its body', async () => {
    const { sim } = ctx;
    const r = await admin(sim.baseUrl, 'POST', 'pages', {
      space: 'ENG',
      title: 'Fresh & new ✨',
      body: '<p>Hello</p>',
    });
    expect(r.status).toBe(201);
    expect(r.json).toMatchObject({ spaceKey: 'ENG', title: 'Fresh & new ✨', version: 1, status: 'current' });
    expect((await currentIds(sim)).has(r.json.id!)).toBe(true);
    const page = (await get(sim, `/wiki/api/v2/pages/${r.json.id}?body-format=storage`)).json as V2Page;
    expect(page.body.storage?.value).toBe('<p>Hello</p>');
    const state = await admin(sim.baseUrl, 'GET', 'state');
    expect(state.json.pages).toBe(sim.pages + 1);
    const dup = await admin(sim.baseUrl, 'POST', 'pages', { space: 'ENG', title: 'Fresh & new ✨' });
    expect(dup.status).toBe(409);
  });

  it('edits a page into a new version with a new title and body', async () => {
    const { sim } = ctx;
    const before = (
      (await get(sim, '/wiki/api/v2/pages?limit=3&body-format=storage')).json as { results: V2Page[] }
    ).results[2]!;
    const r = await admin(sim.baseUrl, 'PUT', `pages/${before.id}`, { title: 'Renamed page' });
    expect(r.json.version).toBe(before.version.number + 1);
    const after = (await get(sim, `/wiki/api/v2/pages/${before.id}?body-format=storage`)).json as V2Page;
    expect(after.title).toBe('Renamed page');
    expect(after.version.number).toBe(before.version.number + 1);
    expect(after.body.storage!.value).not.toBe(before.body.storage!.value);
    expect(after._links.webui).toContain('/Renamed+page');
    const old = (
      await get(sim, `/wiki/api/v2/pages/${before.id}?body-format=storage&version=${before.version.number}`)
    ).json as V2Page;
    // The old version's content comes back (its heading carries the current title).
    const afterHeading = (s: string) => s.slice(s.indexOf('</h1>'));
    expect(afterHeading(old.body.storage!.value)).toBe(afterHeading(before.body.storage!.value));
    sim.admin.editPage(before.id, { body: '<p>Explicit</p>' });
    const explicit = (await get(sim, `/wiki/api/v2/pages/${before.id}?body-format=storage`)).json as V2Page;
    expect(explicit.body.storage!.value).toBe('<p>Explicit</p>');
  });

  it('deletes a page: trashed pages leave the default listing, purged ones vanish', async () => {
    const { sim } = ctx;
    const ids = [...(await currentIds(sim))];
    const [trash, purge] = [ids[5]!, ids[6]!];
    expect((await admin(sim.baseUrl, 'DELETE', `pages/${trash}`)).status).toBe(200);
    sim.admin.deletePage(purge, { purge: true });
    const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250');
    expect(items.map((p) => p.id)).not.toContain(trash);
    expect(items.map((p) => p.id)).not.toContain(purge);
    expect(((await get(sim, `/wiki/api/v2/pages/${trash}`)).json as V2Page).status).toBe('trashed');
    expect((await get(sim, `/wiki/api/v2/pages/${purge}`)).status).toBe(404);
  });

  it('moves a page with its subtree to another space', async () => {
    const { sim } = ctx;
    const spaces = ((await get(sim, '/wiki/api/v2/spaces?limit=250')).json as { results: V2Space[] }).results;
    const { items } = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250&status=current');
    const parent = items.find((p) => p.parentId && items.some((c) => c.parentId === p.id))!;
    const child = items.find((c) => c.parentId === parent.id)!;
    const target = spaces.find((s) => s.id !== parent.spaceId && s.homepageId)!;
    const r = await admin(sim.baseUrl, 'POST', `pages/${parent.id}/move`, {
      space: target.key,
      parentId: target.homepageId,
    });
    expect(r.status).toBe(200);
    const moved = (await get(sim, `/wiki/api/v2/pages/${parent.id}`)).json as V2Page;
    expect(moved.spaceId).toBe(target.id);
    expect(moved.parentId).toBe(target.homepageId);
    expect(moved._links.webui).toContain(`/spaces/${target.key}/`);
    expect(((await get(sim, `/wiki/api/v2/pages/${child.id}`)).json as V2Page).spaceId).toBe(target.id);
    const cycle = await admin(sim.baseUrl, 'POST', `pages/${parent.id}/move`, { parentId: child.id });
    expect(cycle.status).toBe(409);
  });

  it('restricts a page away from the limited user', async () => {
    const { sim } = ctx;
    const limited = `Basic ${Buffer.from('limited@example.com:limited-api-token').toString('base64')}`;
    const id = [...(await currentIds(sim))].find((i) => !sim.admin.page(i).restricted)!;
    expect((await get(sim, `/wiki/api/v2/pages/${id}`, limited)).status).toBe(200);
    await admin(sim.baseUrl, 'PUT', `pages/${id}/restriction`, { restricted: true });
    expect((await get(sim, `/wiki/api/v2/pages/${id}`, limited)).status).toBe(404);
  });

  it('changes a space’s type, and deletes a space with all its pages', async () => {
    const { sim } = ctx;
    const spaces = (
      (await get(sim, '/wiki/api/v2/spaces?limit=250&type=global')).json as { results: V2Space[] }
    ).results;
    const [flip, gone] = [spaces[0]!, spaces[1]!];
    const r = await admin(sim.baseUrl, 'PUT', `spaces/${flip.key}`, { type: 'personal' });
    expect(r.json.type).toBe('personal');
    expect(((await get(sim, `/wiki/api/v2/spaces/${flip.id}`)).json as V2Space).type).toBe('personal');
    expect((await admin(sim.baseUrl, 'DELETE', `spaces/${gone.id}`)).status).toBe(200);
    expect((await get(sim, `/wiki/api/v2/spaces/${gone.id}`)).status).toBe(404);
    expect((await get(sim, `/wiki/api/v2/spaces/${gone.id}/pages`)).status).toBe(404);
    const { items } = await pageAll<V2Page>(
      sim,
      '/wiki/api/v2/pages?limit=250&status=current,archived,trashed',
    );
    expect(items.some((p) => p.spaceId === gone.id)).toBe(false);
    expect((await admin(sim.baseUrl, 'DELETE', 'spaces/NOPE')).status).toBe(404);
  });

  it('changes a user’s access over HTTP', async () => {
    const { sim } = ctx;
    const auth = `Basic ${Buffer.from(`${sim.email}:${sim.token}`).toString('base64')}`;
    await admin(sim.baseUrl, 'PUT', `users/${encodeURIComponent(sim.email)}`, { access: 'none' });
    expect((await get(sim, '/wiki/api/v2/spaces', auth)).status).toBe(403);
    await admin(sim.baseUrl, 'PUT', `users/${encodeURIComponent(sim.email)}`, { access: 'full' });
    expect((await get(sim, '/wiki/api/v2/spaces', auth)).status).toBe(200);
  });

  it('sets latency at runtime', async () => {
    const { sim } = ctx;
    await admin(sim.baseUrl, 'PUT', 'settings', { latencyMs: 150 });
    const t0 = Date.now();
    await get(sim, '/wiki/api/v2/spaces');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    sim.admin.configure({ latencyMs: 0 });
  });
});
