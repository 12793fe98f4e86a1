import { describe, expect, it } from 'vitest';
import { answerJson, PageBody } from '../../sim/answer.ts';
import { NO_COST, REALISTIC_COST, responseCostMs as costOf, type CostModel } from '../../sim/index.ts';
import { get, useSim } from './helpers.ts';

const page = (bodyBytes: number) => ({
  id: '1',
  title: 't',
  body:
    bodyBytes > 0
      ? { storage: { representation: 'storage', value: new PageBody('x'.repeat(bodyBytes)) } }
      : {},
});
/** What a route's answer costs, from what serializing it counted. */
const responseCostMs = (model: CostModel, body: unknown) => costOf(model, answerJson(body).content);

describe('the cost model', () => {
  it('charges a base, a share per result and more per KB of body', () => {
    const model = { costBaseMs: 10, costPerResultMs: 1, costPerBodyKbMs: 2 };
    expect(responseCostMs(model, { results: [] })).toBe(10);
    expect(responseCostMs(model, { results: [page(0), page(0)] })).toBe(12);
    expect(responseCostMs(model, { results: [page(1024), page(2048)] })).toBe(10 + 2 + 6);
    expect(responseCostMs(model, page(4096))).toBe(10 + 1 + 8); // a single page counts as one result
    expect(responseCostMs(NO_COST, { results: [page(1 << 20)] })).toBe(0);
  });

  it('makes a 250-page listing with bodies cost several times the same listing without', () => {
    const meta = responseCostMs(REALISTIC_COST, { results: Array.from({ length: 250 }, () => page(0)) });
    // 13 KB is the simulated bodies' mean size
    const bodies = responseCostMs(REALISTIC_COST, {
      results: Array.from({ length: 250 }, () => page(13 * 1024)),
    });
    expect(bodies).toBeGreaterThan(3 * meta);
  });

  describe('in the server', () => {
    const ctx = useSim({ pages: 60, cost: { costBaseMs: 0, costPerResultMs: 0, costPerBodyKbMs: 5 } });

    it('delays an answer by what it carries, and the admin API can change it live', async () => {
      const { sim } = ctx;
      const t0 = Date.now();
      const r = await get(sim, '/wiki/api/v2/pages?limit=20&status=current&body-format=storage');
      const waited = Date.now() - t0;
      const results = (r.json as { results: { body: { storage: { value: string } } }[] }).results;
      const kb = results.reduce((n, p) => n + Buffer.byteLength(p.body.storage.value), 0) / 1024;
      expect(waited).toBeGreaterThanOrEqual(Math.floor(kb * 5) - 5);
      expect(sim.admin.info().settings).toMatchObject({ costPerBodyKbMs: 5 });
      const res = await fetch(`${sim.baseUrl}/__sim/settings`, {
        method: 'PUT',
        body: JSON.stringify({ costPerBodyKbMs: 0, costPerResultMs: 0.5 }),
      });
      expect(res.status).toBe(200);
      expect(sim.admin.settings).toMatchObject({ costPerBodyKbMs: 0, costPerResultMs: 0.5 });
    });
  });
});
