// What a page record carries beyond its listing: the space's restriction facts, ancestors and labels,
// the display names of the people it names, and the visibility the source's policy gives it.
import { decideVisibility, type RawPage, type Space, type VisibilityPolicy } from '../schemas/index.ts';
import type { RestrictionReader, SpaceFacts } from './restrictions.ts';
import { accountsOf, type UserDirectory } from './users.ts';

export function enrichPage(
  page: RawPage,
  facts: SpaceFacts,
  users: UserDirectory,
  policy: VisibilityPolicy,
): RawPage {
  const f = facts.of(page.id);
  const enriched: RawPage = {
    ...page,
    restricted: f.restricted,
    ancestorRestricted: f.ancestorRestricted,
    ancestors: f.ancestors,
    labels: f.labels,
    users: users.refs(accountsOf(page)),
  };
  const decision = decideVisibility(enriched, policy);
  return { ...enriched, visibility: decision.visibility, visibilityReason: decision.reason };
}

export type Enrich = (pages: RawPage[], signal?: AbortSignal) => Promise<RawPage[]>;

/**
 * Enriches batches of pages from any spaces: each space's facts are read once, when its first page
 * comes (one search per 200 pages of the space), and a batch's users are looked up together.
 */
export function createEnricher(opts: {
  restrictions: RestrictionReader;
  users: UserDirectory;
  policy: VisibilityPolicy;
}): Enrich {
  const facts = new Map<string, Promise<SpaceFacts>>();
  const factsOf = (space: Space, signal?: AbortSignal) => {
    let known = facts.get(space.id);
    if (!known) {
      known = opts.restrictions.space(space, signal);
      facts.set(space.id, known);
    }
    return known;
  };
  return async (pages, signal) => {
    const spaces = new Map(pages.map((p) => [p.space.id, p.space]));
    const bySpace = new Map<string, SpaceFacts>();
    for (const space of spaces.values()) bySpace.set(space.id, await factsOf(space, signal));
    await opts.users.resolve(pages.flatMap(accountsOf), signal);
    return pages.map((p) => enrichPage(p, bySpace.get(p.space.id)!, opts.users, opts.policy));
  };
}
