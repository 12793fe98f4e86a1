import { describe, expect, it } from 'vitest';
import { bulkBody, chunkItems, type BulkItem } from '../../indexer/bulk.ts';
import { backoffMs, isRetryableStatus } from '../../indexer/retry.ts';

const item = (id: number, bytes: number): BulkItem => ({
  index: 'i',
  id: String(id),
  source: 'x'.repeat(bytes),
});

describe('bulk chunking', () => {
  it('splits by count and by bytes, keeping order and every item', () => {
    const items = Array.from({ length: 25 }, (_, i) => item(i, 100));
    const byCount = chunkItems(items, 1_000_000, 10);
    expect(byCount.map((c) => c.items.length)).toEqual([10, 10, 5]);
    const byBytes = chunkItems(items, 500, 1000);
    expect(byBytes.every((c) => c.bytes <= 500)).toBe(true);
    expect(byBytes.flatMap((c) => c.items)).toEqual(items);
  });
  it('sends an item larger than the byte limit on its own rather than dropping it', () => {
    const chunks = chunkItems([item(1, 10), item(2, 5000), item(3, 10)], 1000, 100);
    expect(chunks.map((c) => c.items.map((i) => i.id))).toEqual([['1'], ['2'], ['3']]);
  });
});

describe('bulk body', () => {
  it('is the NDJSON of every item in order, UTF-8, a deletion without a document line', () => {
    const doc = JSON.stringify({ title: 'Zürich – 東京 🚀', text: 'a\nb' });
    const body = bulkBody([
      { index: 'i', id: '1', source: doc },
      { index: 'i', id: '2', source: null },
    ]);
    const lines = body.toString('utf8').split('\n');
    expect(lines).toEqual([
      JSON.stringify({ index: { _index: 'i', _id: '1' } }),
      doc,
      JSON.stringify({ delete: { _index: 'i', _id: '2' } }),
      '',
    ]);
    expect(body.length).toBe(Buffer.byteLength(lines.join('\n')));
  });
});

describe('retry decisions', () => {
  it('retries overload and server errors, not client errors', () => {
    expect([429, 500, 502, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 404, 409, undefined].some(isRetryableStatus)).toBe(false);
  });
  it('backs off exponentially up to a cap', () => {
    expect(backoffMs(0, 200, 10_000, () => 1)).toBe(200);
    expect(backoffMs(3, 200, 10_000, () => 1)).toBe(1600);
    expect(backoffMs(20, 200, 10_000, () => 1)).toBe(10_000);
    expect(backoffMs(5, 200, 10_000, () => 0)).toBe(0);
  });
});
