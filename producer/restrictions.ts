// What the site says about who may read each page of a space, learned in bulk: one CQL content search
// per 200 pages (REST v1; v2 has no restrictions), expanding each page's read restrictions, its
// ancestors and its labels. A page the search does not return is "not known", and so never public.
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
    facts(): SpaceFacts {
      return {
        size: entries.size,
        current: [...entries].filter(([, e]) => e.current).map(([id]) => id),
        unreadable: false,
        of(pageId) {
          const e = entries.get(pageId);
          if (!e) return unknownFacts;
          return {
            restricted: e.restricted,
            ancestorRestricted: e.ancestors === null ? null : ancestorRestricted(e.ancestors, entries),
            ancestors: (e.ancestors ?? []).map((id) => ({ id, title: titles.get(id) ?? '' })),
            labels: e.labels,
          };
        },
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
    `Confluence would not say which pages are restricted (${err.message}), so no page of this run can be public`,
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
}

export function createRestrictionReader(
  client: ConfluenceClient,
  opts: {
    /** Where REST v1 lives: `/wiki/rest/api` (Cloud, also through the gateway), `/rest/api` (Data Center). */
    v1Root: string;
    unreadable: UnreadableRestrictions;
    onUnreadable?: (space: Space, err: ConfluenceError) => void;
  },
): RestrictionReader {
  async function* results(space: Space, signal?: AbortSignal): AsyncGenerator<SearchResult> {
    const query = new URLSearchParams({
      cql: `type=page and space="${space.key.replace(/["\\]/g, '\\$&')}"`,
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

  return {
    async space(space, signal) {
      const collector = collectFacts();
      try {
        for await (const r of results(space, signal)) collector.add(r);
      } catch (err) {
        if (!(err instanceof ConfluenceError) || !REFUSALS.has(err.kind)) throw err;
        if (opts.unreadable === 'fail') throw restrictionsUnreadable(err);
        opts.onUnreadable?.(space, err);
        return UNREADABLE_FACTS;
      }
      return collector.facts();
    },
  };
}
