// Who may see a page, derived from its space. Personal spaces are internal (agent-facing only);
// anything that cannot be shown to be non-personal is internal too: a wrong "public" leaks.
// Here because more than one stage decides by it: the transformer stamps it on each page, the producer
// counts personal pages per partition with it.
import type { Visibility } from './types.ts';

export interface SpaceRef {
  key: string;
  type?: string | null;
}

export function visibilityOf(space: SpaceRef): Visibility {
  const key = typeof space?.key === 'string' ? space.key.trim() : '';
  // Personal space keys are `~` plus the user's id, whatever the type field says.
  if (key === '' || key.startsWith('~')) return 'internal';
  const type = space.type;
  if (
    type !== undefined &&
    type !== null &&
    (typeof type !== 'string' || type.trim().toLowerCase() === 'personal')
  ) {
    return 'internal';
  }
  return 'public';
}
