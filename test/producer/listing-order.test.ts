// The order a run lists spaces in: the longest chains of listing pages first.
import { describe, expect, it } from 'vitest';
import { listingOrder } from '../../producer/pull.ts';
import type { Space } from '../../schemas/index.ts';

const space = (key: string): Space => ({
  id: key.toLowerCase(),
  key,
  name: key,
  type: 'global',
  status: 'current',
});
const keys = (spaces: Space[]) => spaces.map((s) => s.key);

describe('listingOrder', () => {
  const site = ['A', 'B', 'C', 'D'].map(space);

  it("keeps the site's order when nothing is known of the spaces' sizes (a first sync)", () => {
    expect(keys(listingOrder(site))).toEqual(['A', 'B', 'C', 'D']);
    expect(keys(listingOrder(site, new Map()))).toEqual(['A', 'B', 'C', 'D']);
  });

  it('lists the biggest spaces of the live version first, and spaces it does not know before them', () => {
    const sizes = new Map([
      ['A', 10],
      ['B', 37_000],
      ['D', 900],
    ]);
    expect(keys(listingOrder(site, sizes))).toEqual(['C', 'B', 'D', 'A']);
  });

  it('keeps the site order between spaces of one size, and leaves its argument as it was', () => {
    const sizes = new Map([
      ['A', 5],
      ['B', 5],
      ['C', 5],
      ['D', 5],
    ]);
    expect(keys(listingOrder(site, sizes))).toEqual(['A', 'B', 'C', 'D']);
    listingOrder(site, new Map([['D', 1_000]]));
    expect(keys(site)).toEqual(['A', 'B', 'C', 'D']);
  });
});
