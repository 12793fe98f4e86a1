/**
 * Splits `items` in order into runs of at most `maxItems` and `maxBytes` (an item larger than
 * `maxBytes` goes alone): bounded work between heartbeats, bounded requests.
 */
export function chunksOf<T>(
  items: readonly T[],
  bytesOf: (item: T) => number,
  maxItems: number,
  maxBytes: number,
): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = bytesOf(item);
    if (chunk.length > 0 && (chunk.length >= maxItems || bytes + size > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(item);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
