import { describe, expect, it } from 'vitest';
import { createChunkGate } from '../../lib/chunk-gate.ts';

const settle = () => new Promise((r) => setImmediate(r));

describe('chunk gate', () => {
  it('lets ordinary chunks run side by side', async () => {
    const gate = createChunkGate();
    let entered = 0;
    await Promise.all([0, 1, 2].map(() => gate.enter(false).then(() => entered++)));
    expect(entered).toBe(3);
  });

  it('runs an oversized chunk alone, after the running ones and before those that came after it', async () => {
    const gate = createChunkGate();
    const order: string[] = [];
    await gate.enter(false); // partition 0's chunk is running
    const alone = gate.enter(true).then(() => order.push('oversized'));
    await settle();
    expect(order).toEqual([]); // waits for partition 0
    const later = gate.enter(false).then(() => order.push('later'));
    await settle();
    gate.leave(false);
    await settle();
    expect(order).toEqual(['oversized']); // the later chunk waits behind it
    gate.leave(true);
    await Promise.all([alone, later]);
    expect(order).toEqual(['oversized', 'later']);
  });

  it('keeps two oversized chunks apart', async () => {
    const gate = createChunkGate();
    const order: string[] = [];
    await gate.enter(true);
    const second = gate.enter(true).then(() => order.push('second'));
    await settle();
    expect(order).toEqual([]);
    gate.leave(true);
    await second;
    expect(order).toEqual(['second']);
  });
});
