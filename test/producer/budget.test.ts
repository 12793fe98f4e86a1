// The bytes-in-flight budget: never more than the limit taken (one oversized amount alone is let
// through, or it would wait forever), waiters served in order.
import { describe, expect, it } from 'vitest';
import { createBudget } from '../../producer/budget.ts';

describe('budget', () => {
  it('lets amounts through while they fit, then in order as they are given back', async () => {
    const budget = createBudget(10);
    const order: string[] = [];
    await budget.take(6);
    const a = budget.take(6).then(() => order.push('a'));
    const b = budget.take(1).then(() => order.push('b')); // fits, but waits behind a: no overtaking
    await Promise.resolve();
    expect(order).toEqual([]);
    budget.give(6);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    expect(budget.taken).toBe(7);
  });

  it('lets an amount over the limit through alone', async () => {
    const budget = createBudget(10);
    await budget.take(25);
    let second = false;
    const next = budget.take(1).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    budget.give(25);
    await next;
    expect(budget.taken).toBe(1);
  });
});
