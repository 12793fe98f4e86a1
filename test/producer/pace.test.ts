import { describe, expect, it } from 'vitest';
import { createPace } from '../../producer/pace.ts';

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
});
