// One space's listing read from both ends: every page once, whatever the sizes, and each direction's
// next page asked for before the caller is done with the last (the chain then costs the site's latency).
import { describe, expect, it } from 'vitest';
import type { PageRef } from '../../producer/confluence-source.ts';
import { meetInTheMiddle, type RefPage } from '../../producer/meet-in-the-middle.ts';

/** A listing of ids 1..n, `limit` a page, in one direction; `asked` records each request as it is made. */
function direction(n: number, limit: number, up: boolean, asked: string[]) {
  const ids = Array.from({ length: n }, (_, i) => (up ? i + 1 : n - i));
  return (async function* (): AsyncGenerator<RefPage> {
    for (let at = 0; at < n; at += limit) {
      asked.push(`${up ? 'asc' : 'desc'} ${at / limit}`);
      await new Promise((r) => setTimeout(r, 1));
      const refs: PageRef[] = ids.slice(at, at + limit).map((id) => ({ id: String(id), version: 1 }));
      yield { refs, more: at + limit < n };
    }
  })();
}

async function listAll(n: number, limit: number, slowCaller = false) {
  const asked: string[] = [];
  const seen: string[] = [];
  const events: string[] = [];
  for await (const refs of meetInTheMiddle(direction(n, limit, true, asked), () =>
    direction(n, limit, false, asked),
  )) {
    events.push(`got ${refs.length} after ${asked.length} asked`);
    seen.push(...refs.map((r) => r.id));
    if (slowCaller) await new Promise((r) => setTimeout(r, 5));
  }
  return { asked, seen, events };
}

describe('meetInTheMiddle', () => {
  it.each([
    [0, 250],
    [1, 250],
    [250, 250],
    [251, 250],
    [1000, 250],
    [1001, 250],
    [37, 5],
  ])('lists each of %i pages once (%i a page)', async (n, limit) => {
    const { seen, asked } = await listAll(n, limit);
    expect(seen.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    // Each direction asks for at most one page beyond where the two meet.
    expect(asked.length).toBeLessThanOrEqual(Math.ceil(n / limit) + 2);
  });

  it('asks for the next page of a direction before the caller has finished with the last', async () => {
    const { events, asked } = await listAll(2000, 100, true);
    // When the caller gets the first page, the second ascending page is already asked for (and the
    // descending direction has started): the caller's time overlaps the site's.
    expect(events[0]).toBe('got 100 after 3 asked');
    expect(asked.slice(0, 3).sort()).toEqual(['asc 0', 'asc 1', 'desc 0']);
  });
});
