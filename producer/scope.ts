// Which spaces a pull reads. A source may pull every space (the default, as a whole-instance pull always
// has), only some space keys, all but some, and with or without archived spaces. Excluded spaces are
// dropped from the space listing, so their pages are never listed at all.
import type { Space } from '../schemas/index.ts';

export interface SpaceScope {
  /** Space keys to pull; empty means every space. */
  include: string[];
  /** Space keys never pulled (applied after `include`). */
  exclude: string[];
  /** Archived spaces pulled too (default true, like the whole-instance pull). */
  archived: boolean;
}

export const everySpace: SpaceScope = { include: [], exclude: [], archived: true };

/** Space keys compare as Confluence shows them; personal keys (`~…`) included. */
export function inScope(space: Pick<Space, 'key' | 'status'>, scope: SpaceScope): boolean {
  if (scope.include.length > 0 && !scope.include.includes(space.key)) return false;
  if (scope.exclude.includes(space.key)) return false;
  return scope.archived || space.status !== 'archived';
}
