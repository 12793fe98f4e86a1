import { describe, expect, it } from 'vitest';
import { basic, get, pageAll, useSim, type V2Page } from './helpers.ts';

describe('authentication, permissions and rate limits', () => {
  const ctx = useSim({ rateLimit: 0 });

  it('answers 401 for missing or wrong credentials, on v2 and v1', async () => {
    const { sim } = ctx;
    for (const auth of [
      null,
      basic(sim.email, 'wrong-token'),
      basic('nobody@example.com', sim.token),
      'Bearer x',
    ]) {
      const v2 = await get(sim, '/wiki/api/v2/pages', auth);
      expect(v2.status).toBe(401);
      expect((v2.json as { errors: { status: number }[] }).errors[0]!.status).toBe(401);
      const v1 = await get(sim, '/wiki/rest/api/content', auth);
      expect(v1.status).toBe(401);
      expect(v1.json).toMatchObject({ statusCode: 401 });
    }
  });

  it('answers 403 with a JSON message for an account without Confluence access', async () => {
    const { sim } = ctx;
    const r = await get(sim, '/wiki/api/v2/spaces', basic('noaccess@example.com', 'noaccess-api-token'));
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect(JSON.stringify(r.json)).toContain('not permitted to use Confluence');
  });

  it('leaves restricted pages (and their subtrees) out of lists for a limited user, and 404s them', async () => {
    const { sim } = ctx;
    const limited = basic('limited@example.com', 'limited-api-token');
    const full = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250');
    const seen = await pageAll<V2Page>(sim, '/wiki/api/v2/pages?limit=250', limited);
    const restricted = full.items.filter((p) => sim.admin.page(p.id).restricted);
    expect(restricted.length).toBeGreaterThan(0);
    const seenIds = new Set(seen.items.map((p) => p.id));
    for (const p of restricted) expect(seenIds.has(p.id)).toBe(false);
    expect(seen.items.length).toBeLessThan(full.items.length - restricted.length + 1);
    // Children of a restricted page inherit the restriction.
    const child = full.items.find((p) => p.parentId && restricted.some((r) => r.id === p.parentId));
    if (child) expect(seenIds.has(child.id)).toBe(false);
    expect((await get(sim, `/wiki/api/v2/pages/${restricted[0]!.id}`, limited)).status).toBe(404);
    expect((await get(sim, `/wiki/api/v2/pages/${restricted[0]!.id}`)).status).toBe(200);
  });

  it('hides whole spaces from a user, and changes access at runtime', async () => {
    const { sim } = ctx;
    const auth = basic('temp@example.com', 'temp-token');
    expect((await get(sim, '/wiki/api/v2/spaces', auth)).status).toBe(401);
    sim.admin.setUser('temp@example.com', {
      token: 'temp-token',
      access: 'limited',
      hiddenSpaceKeys: ['ENG'],
    });
    const spaces = (await get(sim, '/wiki/api/v2/spaces?limit=250', auth)).json as {
      results: { key: string }[];
    };
    expect(spaces.results.map((s) => s.key)).not.toContain('ENG');
    sim.admin.setUser('temp@example.com', { access: 'none' });
    expect((await get(sim, '/wiki/api/v2/spaces', auth)).status).toBe(403);
    sim.admin.deleteUser('temp@example.com');
    expect((await get(sim, '/wiki/api/v2/spaces', auth)).status).toBe(401);
  });

  it('rate-limits per credential with 429, Retry-After and X-RateLimit headers', async () => {
    const { sim } = ctx;
    sim.admin.configure({ rateLimit: 3 });
    try {
      const replies = [];
      for (let i = 0; i < 6; i++) replies.push(await get(sim, '/wiki/api/v2/spaces?limit=1'));
      const limited = replies.filter((r) => r.status === 429);
      expect(limited.length).toBeGreaterThan(0);
      const r = limited[0]!;
      expect(r.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(Date.parse(r.headers.get('x-ratelimit-reset')!)).toBeGreaterThan(Date.now() - 1000);
      expect(replies[0]!.headers.get('x-ratelimit-remaining')).toBe('2');
      // Less than a fifth of the budget left: the early warning clients slow down on.
      expect(replies[0]!.headers.get('x-ratelimit-nearlimit')).toBeNull();
      expect(r.headers.get('x-ratelimit-nearlimit')).toBe('true');
      // Another credential has its own budget.
      const other = await get(
        sim,
        '/wiki/api/v2/spaces?limit=1',
        basic('limited@example.com', 'limited-api-token'),
      );
      expect(other.status).toBe(200);
    } finally {
      sim.admin.configure({ rateLimit: 0 });
    }
  });
});
