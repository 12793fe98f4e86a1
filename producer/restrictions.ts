// What the site says about who may read each page, learned in bulk through CQL content searches (REST
// v1; v2 has no restrictions), expanding each page's read restrictions and its labels: a run asks by
// id, 200 ids per search and many searches at once (`id in (…)`, so one big space is read as fast as
// many small ones); a preview asks per space. Ancestors come from where the listing put each page
// (v2's `parentId` and titles), so a run's searches expand them only for a page whose place the listing
// did not give (Data Center's listing, an archived or unlisted ancestor): that expansion was a seventh of
// a refresh's Confluence bytes. A page the search does not return is "not known", and so never public.
import { UserError, ExitCode } from '../lib/errors.ts';
import type { Space } from '../schemas/index.ts';
import {
  collectFacts,
  unknownFacts,
  type PagePlace,
  type PageFactsOf,
  type SearchResult,
  type SpaceFacts,
} from './page-facts.ts';
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';
import { createWakeUp } from '../lib/wake-up.ts';

/** Confluence caps a content search with expansions (and no body) at 200 results. */
export const SEARCH_LIMIT = 200;
/** What a page's visibility needs from a search: its own read restrictions and its labels. */
const EXPAND_FACTS =
  'restrictions.read.restrictions.user,restrictions.read.restrictions.group,metadata.labels';
/** The same and the page's ancestors, for a page whose place in its space's tree is not known. */
const EXPAND_WITH_ANCESTORS = `ancestors,${EXPAND_FACTS}`;

/** When the site refuses to say: fail the run (default), or sync those pages as internal. */
export type UnreadableRestrictions = 'fail' | 'internal';

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
  /** Where listed pages sit (parent, title), as soon as they are listed: their ancestors need no search. */
  place(pages: readonly PagePlace[]): void;
  /**
   * Asks for the facts of `pages` themselves: one search per SEARCH_LIMIT pages not asked for yet, all
   * at once (the client's pool bounds them). Throws restrictionsUnreadable() when refused and the
   * policy says fail.
   */
  read(pages: readonly PagePlace[], signal?: AbortSignal): Promise<void>;
  /**
   * read(), then makes the facts of their ancestors known: an ancestor the listing has still to give
   * is waited for until its own batch asks for it, or the pages' spaces are listed (spaceListed), or
   * listingDone(); the rest is asked for at once.
   */
  load(pages: readonly PagePlace[], signal?: AbortSignal): Promise<void>;
  /** A space is listed to the end: its pages' loads stop waiting for ancestors to be listed. */
  spaceListed(spaceId: string): void;
  /** Nothing more will be listed (or the listing failed): loads stop waiting and ask for what they miss. */
  listingDone(): void;
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
  async function* results(cql: string, expand: string, signal?: AbortSignal): AsyncGenerator<SearchResult> {
    const query = new URLSearchParams({
      cql,
      cqlcontext: JSON.stringify({ contentStatuses: ['current', 'archived'] }),
      expand,
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
    /** Ids searched for (returned or not), each by the search that asked; settled once it answered. */
    const asked = new Map<string, Promise<void>>();
    const settled = new Set<string>();
    /** Loads waiting for an id that is not asked for yet (it may still be listed), by id. */
    const askWaiters = new Map<string, (() => void)[]>();
    let listingDone = false;
    let unreadable = false;
    const search = (ids: string[], expand: string, signal?: AbortSignal) => {
      const done = (async () => {
        if (unreadable) return;
        try {
          const cql = `type=page and id in (${ids.join(',')})`;
          for await (const r of results(cql, expand, signal)) collector.add(r);
        } catch (err) {
          unreadable = refused(err);
        }
      })();
      done.then(
        () => ids.forEach((id) => settled.add(id)),
        () => ids.forEach((id) => asked.delete(id)), // a failed search is asked again
      );
      return done;
    };
    /**
     * Ids asked for in the same turn of the event loop (batches, and the ancestors loads find missing
     * once a space is listed), searched together: 200 per search rather than a small search each.
     */
    let queued: { placed: string[]; unplaced: string[]; done: PromiseWithResolvers<void> } | undefined;
    const flush = (signal?: AbortSignal) => {
      const group = queued!;
      queued = undefined;
      const searches: Promise<void>[] = [];
      for (const [expand, ids] of [
        [EXPAND_FACTS, group.placed],
        [EXPAND_WITH_ANCESTORS, group.unplaced],
      ] as const)
        for (let i = 0; i < ids.length; i += SEARCH_LIMIT)
          searches.push(search(ids.slice(i, i + SEARCH_LIMIT), expand, signal));
      Promise.all(searches).then(
        () => group.done.resolve(),
        (err: unknown) => group.done.reject(err),
      );
    };
    /** Searches the ids not asked yet: those whose place is known for their facts alone, the rest with ancestors. */
    const ask = (ids: Iterable<string>, signal?: AbortSignal) => {
      const fresh = [...new Set(ids)].filter((id) => !asked.has(id) && /^\d+$/.test(id));
      if (fresh.length === 0) return;
      if (!queued) {
        queued = { placed: [], unplaced: [], done: Promise.withResolvers<void>() };
        queued.done.promise.catch(() => {}); // awaited by the loads that asked
        setImmediate(() => flush(signal));
      }
      for (const id of fresh) {
        (collector.placed(id) ? queued.placed : queued.unplaced).push(id);
        asked.set(id, queued.done.promise);
        askWaiters.get(id)?.forEach((w) => w());
        askWaiters.delete(id);
      }
    };
    /** Resolves once `id` is asked for, or once nothing more will be listed. */
    const askedOrListed = (id: string): Promise<void> | undefined => {
      if (asked.has(id)) return asked.get(id);
      if (listingDone) return undefined;
      return new Promise<void>((resolve) => {
        const waiters = askWaiters.get(id);
        if (waiters) waiters.push(resolve);
        else askWaiters.set(id, [resolve]);
      });
    };
    /** Spaces listed to the end, and loads waiting for the next one. */
    const listedSpaces = new Set<string>();
    const spaceFinished = createWakeUp();
    // A page's ancestors are in its space: once every page's space is listed, what is missing is not
    // going to be listed.
    const allListed = (pages: readonly PagePlace[]) =>
      listingDone || pages.every((p) => p.space !== undefined && listedSpaces.has(p.space.id));
    const read = async (pages: readonly PagePlace[], signal?: AbortSignal) => {
      pages.forEach((p) => collector.place(p));
      const ids = pages.map((p) => p.id);
      ask(ids, signal);
      await Promise.all(ids.map((id) => asked.get(id)));
    };
    return {
      place: (pages) => pages.forEach((p) => collector.place(p)),
      read,
      async load(pages, signal) {
        await read(pages, signal);
        let ids = pages.map((p) => p.id);
        // Then whatever their visibility still needs (an ancestor's facts, a place no listing gave),
        // until nothing is missing that a search could still tell. An ancestor still to be listed is
        // waited for (its own batch asks for it, so no search asks twice); once the listing is done,
        // what is still missing is asked for here. Ancestors no search returns restrict. Each round
        // looks again only at the pages that needed something (a batch waits through many rounds).
        for (;;) {
          const { facts, places, needy } = collector.missing(ids);
          ids = needy;
          const open = [...facts, ...places].filter((id) => !settled.has(id));
          if (open.length === 0 || unreadable) return;
          const listed = allListed(pages);
          if (listed) ask(open, signal);
          const waits = open.map(askedOrListed).filter((p) => p !== undefined);
          if (waits.length === 0) return; // nothing a search could tell (not an id)
          await (listed ? Promise.all(waits) : Promise.race([Promise.all(waits), spaceFinished.next()]));
          signal?.throwIfAborted();
        }
      },
      spaceListed(spaceId) {
        listedSpaces.add(spaceId);
        spaceFinished.wakeAll();
      },
      listingDone() {
        listingDone = true;
        for (const waiters of askWaiters.values()) waiters.forEach((w) => w());
        askWaiters.clear();
        spaceFinished.wakeAll();
      },
      of: (pageId) => (unreadable ? unknownFacts : collector.of(pageId)),
    };
  }

  return {
    site,
    async space(space, signal) {
      const collector = collectFacts();
      try {
        for await (const r of results(
          `type=page and space=${cqlString(space.key)}`,
          EXPAND_WITH_ANCESTORS,
          signal,
        ))
          collector.add(r);
      } catch (err) {
        refused(err, space);
        return UNREADABLE_FACTS;
      }
      return collector.facts();
    },
  };
}
