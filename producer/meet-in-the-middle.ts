// One listing read from both ends at once: ascending and descending by id, each dropping what the other
// already returned, until they meet. A cursor is sequential, so this is how one big space gets two
// requests in flight instead of one. Pure (iterators in, iterator out).
import type { PageRef } from './confluence-source.ts';

export interface RefPage {
  refs: PageRef[];
  /** Whether this direction has another listing page. */
  more: boolean;
}

const idOf = (r: PageRef) => BigInt(r.id);

/**
 * Every ref of the listing once: `ascending`'s first page first; only if it says more follow is
 * `descending` started. Each direction's next page is asked for before its last one is handed on.
 * Stops both directions as soon as one reaches an id the other returned.
 */
export async function* meetInTheMiddle(
  ascending: AsyncGenerator<RefPage>,
  descending: () => AsyncGenerator<RefPage>,
): AsyncGenerator<PageRef[]> {
  const first = await ascending.next();
  if (first.done) return;
  if (!first.value.more) {
    yield first.value.refs;
    return;
  }
  let lo = first.value.refs.reduce((m, r) => (idOf(r) > m ? idOf(r) : m), -1n); // highest ascending id
  let hi: bigint | undefined; // lowest descending id
  const desc = descending();
  type Step = { up: boolean; r: IteratorResult<RefPage> };
  const step = (up: boolean): Promise<Step> => (up ? ascending : desc).next().then((r) => ({ up, r }));
  const pending = new Map<boolean, Promise<Step>>([
    [true, step(true)],
    [false, step(false)],
  ]);
  try {
    yield first.value.refs;
    while (pending.size > 0) {
      const { up, r } = await Promise.race(pending.values());
      pending.delete(up);
      if (r.done) return; // one end reached the other end: everything was listed
      const fresh = r.value.refs.filter((ref) => (up ? hi === undefined || idOf(ref) < hi : idOf(ref) > lo));
      for (const ref of fresh) {
        const id = idOf(ref);
        if (up && id > lo) lo = id;
        if (!up && (hi === undefined || id < hi)) hi = id;
      }
      const met = fresh.length < r.value.refs.length || !r.value.more; // met the other end
      // The next page is asked for before this one is handed on: the chain's steps then cost the
      // site's latency, not that plus however long the caller takes (or waits) with each page.
      if (!met) pending.set(up, step(up));
      if (fresh.length > 0) yield fresh;
      if (met) return;
    }
  } finally {
    // A direction still in flight finishes its request; nothing reads it.
    for (const p of pending.values()) p.catch(() => {});
    void ascending.return(undefined).catch(() => {});
    void desc.return(undefined).catch(() => {});
  }
}
