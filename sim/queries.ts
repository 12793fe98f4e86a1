// What a listing may ask the simulated site for: the filters and sort orders of pages and spaces.
import type { Page, PageStatus, Space, SpaceStatus, SpaceType } from './model.ts';
import type { Ordering, SortKey } from './paging.ts';

export interface PageQuery {
  spaceIds?: number[];
  ids?: number[];
  statuses: PageStatus[];
  title?: string;
  /** Only top-level pages (`depth=root`). */
  rootOnly?: boolean;
  includeDrafts?: boolean;
}

export interface SpaceQuery {
  ids?: number[];
  keys?: string[];
  type?: SpaceType;
  status?: SpaceStatus;
  /** Labels and favourites are not simulated: a filter on them matches nothing. */
  matchNone?: boolean;
}

export const PAGE_SORT_KEYS: Record<string, (p: Page) => SortKey> = {
  id: (p) => p.id,
  title: (p) => p.title,
  'created-date': (p) => p.createdAt,
  'modified-date': (p) => p.modifiedAt,
};
export const SPACE_SORT_KEYS: Record<string, (s: Space) => SortKey> = {
  id: (s) => s.id,
  key: (s) => s.key,
  name: (s) => s.name,
};

export const PAGE_SORTS = Object.keys(PAGE_SORT_KEYS).flatMap((k) => [k, `-${k}`]);
export const SPACE_SORTS = Object.keys(SPACE_SORT_KEYS).flatMap((k) => [k, `-${k}`]);

export function ordering<T extends { id: number }>(
  sort: string,
  keys: Record<string, (t: T) => SortKey>,
): Ordering<T> {
  const descending = sort.startsWith('-');
  const key = keys[descending ? sort.slice(1) : sort];
  if (!key) throw new Error(`unknown sort ${sort}`);
  return { sort, descending, key, id: (t) => t.id };
}
