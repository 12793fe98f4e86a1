// Keyset pagination with opaque cursors, as Confluence's v2 API does it: a cursor names the last item
// returned (its sort key and id), so concurrent inserts and deletes never shift or repeat items.

export type SortKey = string | number;

export interface Cursor {
  /** The sort the cursor was issued for; a cursor is only valid with the same sort. */
  sort: string;
  key: SortKey;
  id: number;
}

export class BadCursorError extends Error {}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.sort, c.key, c.id])).toString('base64url');
}

export function decodeCursor(raw: string, sort: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw new BadCursorError('Invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 3 ||
    parsed[0] !== sort ||
    !(typeof parsed[1] === 'string' || typeof parsed[1] === 'number') ||
    typeof parsed[2] !== 'number'
  ) {
    throw new BadCursorError('Invalid cursor');
  }
  return { sort, key: parsed[1], id: parsed[2] };
}

function compare(a: SortKey, ai: number, b: SortKey, bi: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return ai - bi;
}

export interface Ordering<T> {
  sort: string;
  descending: boolean;
  key: (item: T) => SortKey;
  id: (item: T) => number;
}

/** Sorts a copy by (key, id), ascending or descending. */
export function orderBy<T>(items: readonly T[], o: Ordering<T>): T[] {
  const sign = o.descending ? -1 : 1;
  return [...items].sort((x, y) => sign * compare(o.key(x), o.id(x), o.key(y), o.id(y)));
}

export interface Slice<T> {
  items: T[];
  /** Present when more matching items follow. */
  next?: Cursor;
}

/**
 * One page of `ordered` (already in the ordering's order): the first `limit` items after the cursor
 * that pass `filter`. Binary search finds the start, so each call costs O(log n + scanned).
 */
export function keysetPage<T>(
  ordered: readonly T[],
  o: Ordering<T>,
  after: Cursor | undefined,
  limit: number,
  filter: (item: T) => boolean,
): Slice<T> {
  const sign = o.descending ? -1 : 1;
  let lo = 0;
  if (after) {
    let hi = ordered.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const item = ordered[mid] as T;
      if (sign * compare(o.key(item), o.id(item), after.key, after.id) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  const items: T[] = [];
  for (let i = lo; i < ordered.length; i++) {
    const item = ordered[i] as T;
    if (!filter(item)) continue;
    if (items.length === limit) {
      const last = items[items.length - 1] as T;
      return { items, next: { sort: o.sort, key: o.key(last), id: o.id(last) } };
    }
    items.push(item);
  }
  return { items };
}
