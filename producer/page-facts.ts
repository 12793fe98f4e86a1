// A run's knowledge of its pages' facts, gathered one answer at a time: each page's own read
// restriction and labels (from CQL searches), where it sits in its space's tree (from listings, fetches
// by id, or a search's ancestors), and from both, each page's ancestors and whether one restricts it.
// Pure: restrictions.ts does the asking.
import type { PageRef } from '../schemas/index.ts';

export interface PageFactsOf {
  restricted: boolean | null;
  ancestorRestricted: boolean | null;
  ancestors: PageRef[];
  labels: string[];
}

export interface SpaceFacts {
  /** Pages the search returned (current and archived). */
  readonly size: number;
  /** Ids of the current pages the search returned. */
  readonly current: readonly string[];
  /** Whether the site refused to tell (only with `unreadable: 'internal'`). */
  readonly unreadable: boolean;
  of(pageId: string): PageFactsOf;
}

interface Entry {
  current: boolean;
  restricted: boolean | null;
  labels: string[];
}

/** Where a page sits in its space's tree, as a listing or a fetch by id says: its parent (null: top level). */
export interface PagePlace {
  id: string;
  /** Undefined when the listing does not say (Data Center's): the search then expands ancestors. */
  parentId?: string | null;
  title?: string;
  /** The space it was listed in: once that space is listed, an ancestor not listed will not be. */
  space?: { id: string };
}

export interface SearchResult {
  id?: string | number;
  status?: string;
  title?: string;
  ancestors?: { id?: string | number; title?: string }[];
  restrictions?: {
    read?: { restrictions?: { user?: { results?: unknown[] }; group?: { results?: unknown[] } } };
  };
  metadata?: { labels?: { results?: { name?: string }[] } };
}

/** A page's own read restriction: any user or group named on `read`; null when the expansion is missing. */
export function readRestricted(r: SearchResult): boolean | null {
  const read = r.restrictions?.read?.restrictions;
  const users = read?.user?.results;
  const groups = read?.group?.results;
  if (!Array.isArray(users) || !Array.isArray(groups)) return null;
  return users.length > 0 || groups.length > 0;
}

/** Ancestors walked up from a page: the ids met, parent first, and whether the walk reached the top. */
interface Walk {
  ids: readonly string[];
  /** The id whose parent is not known, when the walk stopped short of the top (or met a cycle). */
  stuck: string | null;
}

/**
 * The facts of pages, gathered from search results and from where listings put them, one by one: each
 * page's own restriction and labels, its parent and title. A page's ancestors are its parents' chain. Pure.
 */
export function collectFacts() {
  const entries = new Map<string, Entry>();
  const titles = new Map<string, string>();
  /** Each page's parent (null: top level), from a listing, a fetch by id or a search's ancestors. */
  const parents = new Map<string, string | null>();
  /**
   * Walks that reached the top, by page: a run asks for every page's ancestors several times (while
   * its facts are gathered, and as it is decided), and siblings share all of theirs. Such a walk only
   * meets pages whose parent is known, so only a parent that changes (a page moved mid-run) can make
   * one wrong: then all are forgotten.
   */
  const walks = new Map<string, readonly string[]>();
  const setParent = (id: string, parent: string | null) => {
    const known = parents.get(id);
    if (known !== undefined && known !== parent) walks.clear();
    parents.set(id, parent);
  };
  const walk = (pageId: string): Walk => {
    const cached = walks.get(pageId);
    if (cached) return { ids: cached, stuck: null };
    const ids: string[] = [];
    for (let id = pageId; ;) {
      const parent = parents.get(id);
      if (parent === undefined) return { ids, stuck: id };
      if (parent === null) break;
      // A cycle: moved mid-run, not a tree we can trust.
      if (parent === pageId || ids.includes(parent)) return { ids, stuck: parent };
      ids.push(parent);
      const above = walks.get(parent);
      if (above) {
        for (const a of above) ids.push(a);
        break;
      }
      id = parent;
    }
    walks.set(pageId, ids);
    return { ids, stuck: null };
  };
  const of = (pageId: string): PageFactsOf => {
    const e = entries.get(pageId);
    if (!e) return unknownFacts;
    const { ids, stuck } = walk(pageId);
    // Its own place unknown: nothing is known of its ancestors. An ancestor's unknown: it restricts.
    const ancestorRestricted =
      stuck === pageId ? null : stuck !== null ? true : ancestorsRestricted(ids, entries);
    return {
      restricted: e.restricted,
      ancestorRestricted,
      ancestors: ids.map((id) => ({ id, title: titles.get(id) ?? '' })).reverse(),
      labels: e.labels,
    };
  };
  return {
    /** Where listed or fetched pages sit; a place already known is replaced by the newer one. */
    place(p: PagePlace): void {
      if (p.parentId !== undefined) setParent(p.id, p.parentId);
      if (typeof p.title === 'string') titles.set(p.id, p.title);
    },
    /** Whether a page's parent is known (so its search need not expand ancestors). */
    placed: (pageId: string) => parents.has(pageId),
    add(r: SearchResult): void {
      if (r.id === undefined) return;
      const id = String(r.id);
      if (typeof r.title === 'string') titles.set(id, r.title);
      if (Array.isArray(r.ancestors)) {
        // Root first: each ancestor's parent is the one before it, the page's is the last.
        let parent: string | null = null;
        for (const a of r.ancestors) {
          if (a.id === undefined) continue;
          const aid = String(a.id);
          if (!parents.has(aid)) setParent(aid, parent);
          if (typeof a.title === 'string') titles.set(aid, a.title);
          parent = aid;
        }
        setParent(id, parent);
      }
      entries.set(id, {
        current: (r.status ?? 'current') === 'current',
        restricted: readRestricted(r),
        labels: (r.metadata?.labels?.results ?? []).flatMap((l) =>
          typeof l.name === 'string' ? [l.name] : [],
        ),
      });
    },
    /**
     * What the visibility of `ids` still needs: ancestors whose facts are not known, and pages (the
     * ids or their ancestors) whose parent is not known — found only by a search expanding ancestors;
     * and which of `ids` need any of it (the rest need nothing more).
     */
    missing(ids: Iterable<string>): { facts: Set<string>; places: Set<string>; needy: string[] } {
      const facts = new Set<string>();
      const places = new Set<string>();
      const needy: string[] = [];
      for (const id of ids) {
        const { ids: up, stuck } = walk(id);
        let needs = stuck !== null;
        for (const a of up) {
          if (entries.has(a)) continue;
          facts.add(a);
          needs = true;
        }
        if (stuck !== null) places.add(stuck);
        if (needs) needy.push(id);
      }
      return { facts, places, needy };
    },
    of,
    facts(): SpaceFacts {
      return {
        size: entries.size,
        current: [...entries].filter(([, e]) => e.current).map(([id]) => id),
        unreadable: false,
        of,
      };
    },
  };
}

/** An ancestor the search did not return cannot be seen (or is not a page we know): it restricts too. */
function ancestorsRestricted(ids: readonly string[], entries: Map<string, Entry>): boolean | null {
  let unknown = false;
  for (const id of ids) {
    const a = entries.get(id);
    if (!a || a.restricted === true) return true;
    if (a.restricted === null) unknown = true;
  }
  return unknown ? null : false;
}

export const unknownFacts: PageFactsOf = {
  restricted: null,
  ancestorRestricted: null,
  ancestors: [],
  labels: [],
};
