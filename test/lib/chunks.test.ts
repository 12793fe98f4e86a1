// Bounded chunks: what the consumer loop hands a stage at once, and what a stage sends per request.
import { describe, expect, it } from 'vitest';
import { chunksOf } from '../../lib/chunks.ts';

describe('chunksOf', () => {
  const size = (n: number) => n;
  it('keeps order and bounds each chunk by count and bytes', () => {
    expect(chunksOf([1, 1, 1, 1, 1], size, 2, 100)).toEqual([[1, 1], [1, 1], [1]]);
    expect(chunksOf([3, 3, 3, 1], size, 10, 6)).toEqual([
      [3, 3],
      [3, 1],
    ]);
  });
  it('puts an item larger than the byte bound alone, never drops it', () => {
    expect(chunksOf([1, 50, 1], size, 10, 5)).toEqual([[1], [50], [1]]);
    expect(chunksOf([], size, 10, 5)).toEqual([]);
  });
});
