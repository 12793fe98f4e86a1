import { describe, expect, it } from 'vitest';
import { asksToSlowDown, createPace } from '../../producer/pace.ts';

describe('pace', () => {
  it('lets at most the window through, and the next one in when a slot is released', async () => {
    const pace = createPace(2);
    const a = await pace.acquire();
    await pace.acquire();
    let third = false;
    const c = pace.acquire().then((r) => ((third = true), r));
    await Promise.resolve();
    expect(third).toBe(false);
    a();
    await c;
    expect(third).toBe(true);
  });

  it("gives the next free slot to a listing's next page before requests that waited longer", async () => {
    const pace = createPace(1);
    const first = await pace.acquire();
    const order: string[] = [];
    const other = pace.acquire().then((r) => (order.push('other'), r));
    const next = pace.acquire(true).then((r) => (order.push('next page'), r));
    first();
    (await next)();
    (await other)();
    expect(order).toEqual(['next page', 'other']);
  });

  it('halves on a warning, never below one, and grows back one step per window of clean answers', () => {
    const pace = createPace(8);
    pace.slowDown();
    expect(pace.window).toBe(4);
    pace.slowDown();
    pace.slowDown();
    pace.slowDown();
    expect(pace.window).toBe(1);
    pace.ok();
    expect(pace.window).toBe(2);
    pace.ok();
    expect(pace.window).toBe(2);
    pace.ok();
    expect(pace.window).toBe(3);
    for (let i = 0; i < 100; i++) pace.ok();
    expect(pace.window).toBe(8);
  });

  it('hears a 429, a NearLimit warning and a 503 with Retry-After as "slow down", nothing else', () => {
    const headers = (h: Record<string, string>) => (name: string) => h[name];
    expect(asksToSlowDown(429, headers({}))).toBe(true);
    expect(asksToSlowDown(200, headers({ 'x-ratelimit-nearlimit': 'true' }))).toBe(true);
    expect(asksToSlowDown(503, headers({ 'retry-after': '1' }))).toBe(true);
    expect(asksToSlowDown(503, headers({}))).toBe(false); // an outage: retried, not a limit
    expect(asksToSlowDown(500, headers({ 'retry-after': '1' }))).toBe(false);
    expect(asksToSlowDown(200, headers({ 'x-ratelimit-nearlimit': 'false' }))).toBe(false);
  });
});
