// What the site says about who may read each page, learned in bulk through CQL content searches (REST
// v1; v2 has no restrictions), expanding each page's read restrictions, its ancestors and its labels:
// a run asks by id, 200 ids per search and many searches at once (`id in (…)`, so one big space is read
// as fast as many small ones); a preview asks per space. A page the search does not return is "not
// known", and so never public.
import { UserError, ExitCode } from '../lib/errors.ts';
import type { PageRef, Space } from '../schemas/index.ts';
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';

/** Confluence caps a content search with expansions (and no body) at 200 results. */
export const SEARCH_LIMIT = 200;
const EXPAND =
  'ancestors,restrictions.read.restrictions.user,restrictions.read.restrictions.group,metadata.labels';

/** When the site refuses to say: fail the run (default), or sync those pages as internal. */
export type UnreadableRestrictions = 'fail' | 'internal';

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
  /** Ancestor ids, root first; null when the search did not give them. */
  ancestors: string[] | null;
  labels: string[];
}

interface SearchResult {
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

/** The facts of every page of a space, gathered from its search results one by one. Pure. */
export function collectFacts() {
  const entries = new Map<string, Entry>();
  const titles = new Map<string, string>();
  const of = (pageId: string): PageFactsOf => {
    const e = entries.get(pageId);
    if (!e) return unknownFacts;
    return {
      restricted: e.restricted,
      ancestorRestricted: e.ancestors === null ? null : ancestorRestricted(e.ancestors, entries),
      ancestors: (e.ancestors ?? []).map((id) => ({ id, title: titles.get(id) ?? '' })),
      labels: e.labels,
    };
  };
  return {
    add(r: SearchResult): void {
      if (r.id === undefined) return;
      const id = String(r.id);
      if (typeof r.title === 'string') titles.set(id, r.title);
      const ancestors = Array.isArray(r.ancestors) ? r.ancestors.filter((a) => a.id !== undefined) : null;
      for (const a of ancestors ?? []) if (typeof a.title === 'string') titles.set(String(a.id), a.title);
      entries.set(id, {
        current: (r.status ?? 'current') === 'current',
        restricted: readRestricted(r),
        ancestors: ancestors?.map((a) => String(a.id)) ?? null,
        labels: (r.metadata?.labels?.results ?? []).flatMap((l) =>
          typeof l.name === 'string' ? [l.name] : [],
        ),
      });
    },
    /** Ancestors of `ids` the search has not returned (yet). */
    missingAncestors(ids: Iterable<string>): string[] {
      const missing = new Set<string>();
      for (const id of ids)
        for (const a of entries.get(id)?.ancestors ?? []) if (!entries.has(a)) missing.add(a);
      return [...missing];
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
function ancestorRestricted(ids: string[], entries: Map<string, Entry>): boolean | null {
  let unknown = false;
  for (const id of ids) {
    const a = entries.get(id);
    if (!a || a.restricted === true) return true;
    if (a.restricted === null) unknown = true;
  }
  return unknown ? null : false;
}

const unknownFacts: PageFactsOf = { restricted: null, ancestorRestricted: null, ancestors: [], labels: [] };

const UNREADABLE_FACTS: SpaceFacts = { size: 0, current: [], unreadable: true, of: () => unknownFacts };

/** Refusals that mean "this token may not read restrictions", as opposed to a site in trouble. */
const REFUSALS = new Set([
  'scope',
  'unauthorized',
  'forbidden',
  'not-found',
  'bad-request',
  'not-confluence',
]);

export function restrictionsUnreadable(err: ConfluenceError): UserError {
  return new UserError(
    // The query (200 ids, the expansions) would bury the answer: the path and the status say it all.
    `Confluence would not say which pages are restricted (${err.message.replace(/\?\S*/g, '?…')}), so no page of this run can be public`,
    {
      exitCode: ExitCode.auth,
      hint:
        'Give the sync account a token that may search content: a classic API token, or a scoped one with search:confluence ' +
        '(granular: read:content-details:confluence). Or set VISIBILITY_UNREADABLE_RESTRICTIONS=internal to sync such pages as internal (agent-facing only).',
      cause: err,
    },
  );
}

export interface RestrictionReader {
  /** The facts of a space's pages; throws restrictionsUnreadable() when refused and the policy says fail. */
  space(space: Space, signal?: AbortSignal): Promise<SpaceFacts>;
  /**
   * The facts of pages anywhere on the site, read by id as a run needs them and kept for the run
   * (site-facts below).
   */
  site(): SiteFacts;
}

/** The facts of a run's pages, whatever their spaces, read by id. */
export interface SiteFacts {
  /**
   * Makes the facts of `ids` and of their ancestors known: one search per SEARCH_LIMIT ids not asked
   * for yet, all at once (the client's pool bounds them), then one for any ancestors not returned.
   * Throws restrictionsUnreadable() when refused and the policy says fail.
   */
  load(ids: readonly string[], signal?: AbortSignal): Promise<void>;
  /** After load: a page's facts; unknown (never public) when the search did not return it. */
  of(pageId: string): PageFactsOf;
}

/** A CQL string literal, quoted (space keys; ids are digits). */
const cqlString = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

export function createRestrictionReader(
  client: ConfluenceClient,
  opts: {
    /** Where REST v1 lives: `/wiki/rest/api` (Cloud, also through the gateway), `/rest/api` (Data Center). */
    v1Root: string;
    unreadable: UnreadableRestrictions;
    /** The site refused to say; `space` is the space asked about, absent for a search by id. */
    onUnreadable?: (err: ConfluenceError, space?: Space) => void;
  },
): RestrictionReader {
  async function* results(cql: string, signal?: AbortSignal): AsyncGenerator<SearchResult> {
    const query = new URLSearchParams({
      cql,
      cqlcontext: JSON.stringify({ contentStatuses: ['current', 'archived'] }),
      expand: EXPAND,
      limit: String(SEARCH_LIMIT),
    });
    // v1 next links are relative to the REST context (`/wiki` on Cloud), which is v1Root less /rest/api.
    const context = opts.v1Root.replace(/\/rest\/api$/, '');
    let next: string | undefined = `${opts.v1Root}/content/search?${query.toString()}`;
    const seen = new Set<string>();
    while (next !== undefined) {
      if (seen.has(next))
        throw new ConfluenceError('server', next, `GET ${next}: the search repeats a next link`);
      seen.add(next);
      const { body } = await client.getJson(next, signal);
      const page = body as { results?: unknown; _links?: { next?: unknown } };
      if (!Array.isArray(page.results))
        throw new ConfluenceError('not-confluence', next, `GET ${next}: the answer has no results list`);
      yield* page.results as SearchResult[];
      const rel = page._links?.next;
      next = typeof rel === 'string' && rel !== '' ? `${context}${rel}` : undefined;
    }
  }

  /** Whether a failed search means "not readable" (and the policy lets the run go on), else throws. */
  const refused = (err: unknown, space?: Space): true => {
    if (!(err instanceof ConfluenceError) || !REFUSALS.has(err.kind)) throw err;
    if (opts.unreadable === 'fail') throw restrictionsUnreadable(err);
    opts.onUnreadable?.(err, space);
    return true;
  };

  function site(): SiteFacts {
    const collector = collectFacts();
    /** Ids searched for (returned or not), each by the search that asked. */
    const asked = new Map<string, Promise<void>>();
    let unreadable = false;
    const search = (ids: string[], signal?: AbortSignal) => {
      const done = (async () => {
        if (unreadable) return;
        try {
          for await (const r of results(`type=page and id in (${ids.join(',')})`, signal)) collector.add(r);
        } catch (err) {
          unreadable = refused(err);
        }
      })();
      for (const id of ids) asked.set(id, done);
      done.catch(() => ids.forEach((id) => asked.delete(id))); // a failed search is asked again
    };
    const ask = async (ids: readonly string[], signal?: AbortSignal) => {
      const fresh = [...new Set(ids)].filter((id) => !asked.has(id) && /^\d+$/.test(id));
      for (let i = 0; i < fresh.length; i += SEARCH_LIMIT) search(fresh.slice(i, i + SEARCH_LIMIT), signal);
      await Promise.all(ids.map((id) => asked.get(id)));
    };
    return {
      async load(ids, signal) {
        await ask(ids, signal);
        // Ancestors' restrictions decide a page's visibility; an ancestor's own ancestors are in its
        // chain already, so one more round finds them all. One the search never returns restricts.
        await ask(collector.missingAncestors(ids), signal);
      },
      of: (pageId) => (unreadable ? unknownFacts : collector.of(pageId)),
    };
  }

  return {
    site,
    async space(space, signal) {
      const collector = collectFacts();
      try {
        for await (const r of results(`type=page and space=${cqlString(space.key)}`, signal))
          collector.add(r);
      } catch (err) {
        refused(err, space);
        return UNREADABLE_FACTS;
      }
      return collector.facts();
    },
  };
}
