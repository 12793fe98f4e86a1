// Who may see a page: the visibility policy, one pure function that every stage asks. A page is public
// (citable to customers) only when it lives in a knowledge space and nothing the site says restricts it;
// anything unknown counts as restricting it: a wrong "public" leaks, a wrong "internal" only hides.
import type { Visibility } from './types.ts';

/** Why a page got its visibility; every document carries one. */
export const VISIBILITY_REASONS = [
  'personal-space', // the space is someone's personal space
  'space-type', // the space is of a type that is not a knowledge space (system, onboarding, ...)
  'restricted', // the page itself has a read restriction
  'restricted-ancestor', // a parent (or its parent...) has one, or cannot be seen by the sync account
  'restrictions-unreadable', // the site would not say; the operator chose to treat such pages as internal
  'label', // the page carries one of the source's internal labels
  'space-override', // the source names the space's audience explicitly
  'default', // a knowledge space, nothing restricts it: public
] as const;
export type VisibilityReason = (typeof VISIBILITY_REASONS)[number];

/** Space types whose pages are knowledge for customers (Confluence Cloud's names). */
export const KNOWLEDGE_SPACE_TYPES: ReadonlySet<string> = new Set([
  'global',
  'collaboration',
  'knowledge_base',
]);

/** A source's own rules on top of the defaults. */
export interface VisibilityPolicy {
  /** Pages with any of these labels are internal (lower case). */
  internalLabels: readonly string[];
  /**
   * Space key → audience. `internal` hides a whole space; `public` lifts the space-type rule only
   * (e.g. a knowledge space Confluence types `onboarding`): a restriction or a personal space still wins.
   */
  spaceAudience: Readonly<Record<string, Visibility>>;
}

export const DEFAULT_POLICY: VisibilityPolicy = { internalLabels: ['internal-only'], spaceAudience: {} };

/** What the site says about a page. `null` restrictions: not known (not read, or the site refused). */
export interface PageFacts {
  space: { key: string; type?: string | null };
  restricted: boolean | null;
  ancestorRestricted: boolean | null;
  labels: readonly string[];
}

export interface VisibilityDecision {
  visibility: Visibility;
  reason: VisibilityReason;
}

const internal = (reason: VisibilityReason): VisibilityDecision => ({ visibility: 'internal', reason });

/** Personal space keys are `~` plus the user's id, whatever the type field says. */
export function isPersonalSpace(space: { key: string; type?: string | null }): boolean {
  const key = typeof space?.key === 'string' ? space.key.trim() : '';
  return key === '' || key.startsWith('~') || spaceType(space) === 'personal';
}

const spaceType = (space: { type?: string | null }) =>
  typeof space?.type === 'string' ? space.type.trim().toLowerCase() : '';

/** The policy: first the rules nothing overrides, then the source's overrides, then the space type. */
export function decideVisibility(
  page: PageFacts,
  policy: VisibilityPolicy = DEFAULT_POLICY,
): VisibilityDecision {
  if (isPersonalSpace(page.space)) return internal('personal-space');
  if (page.restricted === true) return internal('restricted');
  if (page.ancestorRestricted === true) return internal('restricted-ancestor');
  if (page.restricted === null || page.ancestorRestricted === null)
    return internal('restrictions-unreadable');
  const labels = new Set(page.labels.map((l) => l.toLowerCase()));
  if (policy.internalLabels.some((l) => labels.has(l.toLowerCase()))) return internal('label');
  const override = policy.spaceAudience[page.space.key.trim()];
  if (override) return { visibility: override, reason: 'space-override' };
  if (!KNOWLEDGE_SPACE_TYPES.has(spaceType(page.space))) return internal('space-type');
  return { visibility: 'public', reason: 'default' };
}

/**
 * The decision a record carries, checked again against the rules no override lifts: a record claiming
 * public for a personal space or a restricted page (a bug, a foreign writer) is internal all the same.
 * A record from before the policy existed (no decision) is decided from what it holds.
 */
export function recordedVisibility(
  page: PageFacts & { visibility: string | null; visibilityReason: string | null },
): VisibilityDecision {
  const floor = decideVisibility(page, { internalLabels: [], spaceAudience: {} });
  const reason = VISIBILITY_REASONS.find((r) => r === page.visibilityReason);
  if (page.visibility !== 'public' && page.visibility !== 'internal') return floor;
  if (!reason) return floor;
  const liftable =
    floor.reason === 'default' || (floor.reason === 'space-type' && reason === 'space-override');
  if (page.visibility === 'public' && !liftable) return floor;
  return { visibility: page.visibility, reason };
}
