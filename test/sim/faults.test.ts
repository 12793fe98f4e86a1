import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { Faults, parseFaultSpec } from '../../sim/faults.ts';
import { startSim } from '../../sim/index.ts';
import { basic, get, useSim, type V2Space } from './helpers.ts';

describe('fault injection', () => {
  const ctx = useSim({ slowMs: 400 });
  const path = '/wiki/api/v2/pages';

  it.each([
    ['500', 500],
    ['502', 502],
    ['503', 503],
    ['429', 429],
  ] as const)('fails the next N requests to a path with %s', async (kind, status) => {
    const { sim } = ctx;
    sim.admin.addFault({ kind, path, count: 2 });
    const a = await get(sim, `${path}?limit=1`);
    const b = await get(sim, `${path}?limit=1`);
    const c = await get(sim, `${path}?limit=1`);
    expect([a.status, b.status, c.status]).toEqual([status, status, 200]);
    expect((a.json as { errors: { status: number }[] }).errors[0]!.status).toBe(status);
    if (kind === '503' || kind === '429') expect(a.headers.get('retry-after')).toBe('1');
  });

  it('sends an absurd Retry-After', async () => {
    const { sim } = ctx;
    sim.admin.addFault({ kind: 'absurd-retry-after', path, count: 1 });
    const r = await get(sim, path);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(86_400);
  });

  it('stalls a slow response', async () => {
    const { sim } = ctx;
    sim.admin.addFault({ kind: 'slow', path, count: 1 });
    const t0 = Date.now();
    const r = await get(sim, path);
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380);
  });

  it('truncates the JSON of a 200 response', async () => {
    const { sim } = ctx;
    sim.admin.addFault({ kind: 'truncate', path, count: 1 });
    const r = await get(sim, `${path}?limit=50`);
    expect(r.status).toBe(200);
    expect(r.text.length).toBeGreaterThan(10);
    expect(() => JSON.parse(r.text)).toThrow();
  });

  it('resets the connection mid-body', async () => {
    const { sim } = ctx;
    sim.admin.addFault({ kind: 'reset', path, count: 1 });
    const res = await request(`${sim.baseUrl}${path}?limit=50&body-format=storage`, {
      headers: { authorization: basic(sim.email, sim.token) },
    });
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();
  });

  it('fails one space’s page listing permanently until the rule is removed, in every listing form', async () => {
    const { sim } = ctx;
    const spaces = ((await get(sim, '/wiki/api/v2/spaces?limit=250')).json as { results: V2Space[] }).results;
    const [target, other] = spaces as [V2Space, V2Space];
    const rule = sim.admin.addFault({ kind: '500', space: target.key });
    for (let i = 0; i < 3; i++) {
      expect((await get(sim, `/wiki/api/v2/spaces/${target.id}/pages`)).status).toBe(500);
      expect((await get(sim, `/wiki/api/v2/pages?space-id=${target.id}`)).status).toBe(500);
      expect((await get(sim, `/wiki/rest/api/content?type=page&spaceKey=${target.key}`)).status).toBe(500);
    }
    expect((await get(sim, `/wiki/api/v2/spaces/${other.id}/pages`)).status).toBe(200);
    expect((await get(sim, '/wiki/api/v2/spaces')).status).toBe(200);
    sim.admin.removeFault(rule.id);
    expect((await get(sim, `/wiki/api/v2/spaces/${target.id}/pages`)).status).toBe(200);
  });

  it('sets and clears faults over the admin HTTP API', async () => {
    const { sim } = ctx;
    const add = await fetch(`${sim.baseUrl}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: '502', path: '/wiki/api/v2/*' }),
    });
    expect(add.status).toBe(201);
    expect((await get(sim, '/wiki/api/v2/spaces')).status).toBe(502);
    const listed = (await (await fetch(`${sim.baseUrl}/__sim/faults`)).json()) as { rules: unknown[] };
    expect(listed.rules).toHaveLength(1);
    expect((await fetch(`${sim.baseUrl}/__sim/faults`, { method: 'DELETE' })).status).toBe(200);
    expect((await get(sim, '/wiki/api/v2/spaces')).status).toBe(200);
    const bad = await fetch(`${sim.baseUrl}/__sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: '418' }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('random faults', () => {
  it('are reproducible for a seed, whatever the request order', () => {
    const decide = (order: number[]) => {
      const f = new Faults(42, { '500': 0.2, reset: 0.1 });
      const out = new Map<string, (string | undefined)[]>();
      for (const i of order) {
        const url = `/wiki/api/v2/pages?cursor=${i % 10}`;
        out.set(url, [
          ...(out.get(url) ?? []),
          f.decide({ method: 'GET', path: '/wiki/api/v2/pages', url, listingSpaceIds: [] }),
        ]);
      }
      return out;
    };
    const forward = Array.from({ length: 200 }, (_, i) => i);
    const a = decide(forward);
    const b = decide([...forward].reverse());
    for (const [url, kinds] of a) expect(b.get(url)).toEqual(kinds);
    const all = [...a.values()].flat();
    const share500 = all.filter((k) => k === '500').length / all.length;
    expect(share500).toBeGreaterThan(0.1);
    expect(share500).toBeLessThan(0.3);
    expect(all.filter((k) => k === 'reset').length).toBeGreaterThan(0);
  });

  it('parse from the CLI spec and reject bad ones', () => {
    expect(parseFaultSpec('500=0.01, slow=0.5,absurd-retry-after=0')).toEqual({
      '500': 0.01,
      slow: 0.5,
      'absurd-retry-after': 0,
    });
    expect(() => parseFaultSpec('500=2')).toThrow(/RATE in \[0, 1\]/);
    expect(() => parseFaultSpec('teapot=0.1')).toThrow(/KIND one of/);
  });

  it('fire at the configured rate through the server', async () => {
    const sim = await startSim({ seed: 3, pages: 50, faults: '503=0.5' });
    try {
      const statuses = [];
      for (let i = 0; i < 40; i++)
        statuses.push((await get(sim, `/wiki/api/v2/spaces?limit=${1 + (i % 5)}`)).status);
      expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(8);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(8);
    } finally {
      await sim.close();
    }
  });
});
