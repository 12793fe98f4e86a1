// The Confluence Cloud data source (REST v2, on the site or through the gateway): what a full pull
// reads, in the product's words. Every space the credentials can read (global and personal, current
// and archived), every current page in each as an id and a version (listings without bodies, cheap),
// and the bodies of any 250 of them by id. Data Center's twin is data-center-source.ts.
import type { RawPageBytes, Space } from '../schemas/index.ts';
import { createStorageBodyReader } from './body-bytes.ts';
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';
import type { Account } from './identity.ts';
import { meetInTheMiddle } from './meet-in-the-middle.ts';

/** The v2 maximum: fewest requests per page pulled. */
export const LIST_LIMIT = 250;

interface V2Space {
  id: string | number;
  key: string;
  name?: string;
  type?: string;
  status?: string;
}

export interface V2Page {
  id: string | number;
  title?: string;
  status?: string;
  spaceId?: string | number;
  parentId?: string | number | null;
  version?: { number?: number; createdAt?: string; authorId?: string };
  body?: { storage?: { value?: string } };
  _links?: { webui?: string };
}

export function toSpace(s: V2Space, path: string): Space {
  if (s?.id === undefined || typeof s.key !== 'string') {
    throw new ConfluenceError('not-confluence', path, `GET ${path}: a space without id or key`);
  }
  return {
    id: String(s.id),
    key: s.key,
    name: s.name ?? s.key,
    type: s.type ?? 'unknown',
    status: s.status ?? 'current',
  };
}

/** A page as the producer sends it; `body` is its storage body's UTF-8 (`p.body` is not read). */
export function toPage(
  p: V2Page,
  body: Buffer,
  space: Space,
  pageBase: string,
  fetchedAt: number,
  path: string,
): RawPageBytes {
  if (p?.id === undefined || typeof p.title !== 'string') {
    throw new ConfluenceError('not-confluence', path, `GET ${path}: a page without id or title`);
  }
  const webui = p._links?.webui ?? `/spaces/${encodeURIComponent(space.key)}/pages/${p.id}`;
  return {
    id: String(p.id),
    title: p.title,
    status: p.status ?? 'current',
    version: p.version?.number ?? 1,
    versionCreatedAt: p.version?.createdAt ?? null,
    parentId: p.parentId === undefined || p.parentId === null ? null : String(p.parentId),
    space,
    body,
    url: pageBase + webui,
    fetchedAt,
    // Not in a listing: producer/enrich.ts fills these in; until then nothing is known, so nothing is public.
    restricted: null,
    ancestorRestricted: null,
    ancestors: [],
    labels: [],
    authorId: p.version?.authorId ?? null,
    users: [],
    visibility: null,
    visibilityReason: null,
    fingerprint: null,
  };
}

/** A listed page without its body: enough to decide whether to fetch it, and to fetch it by id. */
export interface PageRef {
  id: string;
  version: number;
  /** Its parent (null: top level) and title, where the listing says (v2's does, Data Center's does not). */
  parentId?: string | null;
  title?: string;
}

/** How many ids one by-id request asks for: the v2 `id` parameter's maximum. */
export const IDS_PER_REQUEST = 250;

export interface ConfluenceSource {
  /** Who the site says the credentials are (anonymous included: see identity.ts). */
  currentUser(signal?: AbortSignal): Promise<Account>;
  /** Spaces, one listing page (of up to `limit`) at a time, every space the account can read. */
  spaces(signal?: AbortSignal, limit?: number): AsyncGenerator<Space[]>;
  /**
   * A space's current pages without bodies, one listing page at a time, in id order. Past one listing
   * page the space is listed from both ends at once (`sort=id` and `sort=-id`) until the two meet, so a
   * big space lists in half the sequential requests; every id comes once.
   */
  pageRefs(space: Space, signal?: AbortSignal): AsyncGenerator<PageRef[]>;
  /**
   * The current pages among `ids` (at most IDS_PER_REQUEST), with storage bodies, in the space each is
   * in now. Ids not returned are no longer current or readable.
   */
  pagesById(ids: readonly string[], signal?: AbortSignal): Promise<RawPageBytes[]>;
}

function toRef(p: V2Page, path: string): PageRef {
  if (p?.id === undefined)
    throw new ConfluenceError('not-confluence', path, `GET ${path}: a page without id`);
  return {
    id: String(p.id),
    version: p.version?.number ?? 1,
    // v2 omits parentId on top-level pages.
    parentId: p.parentId === undefined || p.parentId === null ? null : String(p.parentId),
    ...(typeof p.title === 'string' ? { title: p.title } : {}),
  };
}

export interface SourceOptions {
  /** Where page URLs hang off: the customer's site (`https://acme.atlassian.net/wiki`), never the gateway. */
  pageBase: string;
}

export function createConfluenceSource(client: ConfluenceClient, opts: SourceOptions): ConfluenceSource {
  const pageBase = opts.pageBase.replace(/\/+$/, '');
  // Spaces by id, as listed, so a page fetched by id gets its space without asking again; a space
  // created during the run (a page moved into it) is fetched once.
  const spaces = new Map<string, Promise<Space>>();
  const spaceById = (id: string, signal?: AbortSignal): Promise<Space> => {
    let space = spaces.get(id);
    if (!space) {
      const path = `/wiki/api/v2/spaces/${encodeURIComponent(id)}`;
      space = client.getJson(path, signal).then(({ body }) => toSpace(body as V2Space, path));
      space.catch(() => spaces.delete(id));
      spaces.set(id, space);
    }
    return space;
  };

  /** One direction of a space's metadata listing (meetInTheMiddle stops it where the other one was). */
  async function* listRefs(space: Space, sort: 'id' | '-id', signal?: AbortSignal) {
    const path = `/wiki/api/v2/spaces/${encodeURIComponent(space.id)}/pages`;
    const query = { status: 'current', sort, limit: String(LIST_LIMIT) };
    for await (const listing of client.list<V2Page>(path, query, signal)) {
      yield { refs: Array.from(listing.results, (p) => toRef(p, path)), more: listing.more };
    }
  }

  return {
    async currentUser(signal) {
      return (await client.getJson('/wiki/rest/api/user/current', signal)).body as Account;
    },
    // No `status`/`type` filter: v2 then lists current and archived, global and personal.
    async *spaces(signal, limit = LIST_LIMIT) {
      const path = '/wiki/api/v2/spaces';
      for await (const listing of client.list<V2Space>(path, { limit: String(limit) }, signal)) {
        const batch = Array.from(listing.results, (s) => toSpace(s, path));
        for (const s of batch) spaces.set(s.id, Promise.resolve(s));
        yield batch;
      }
    },
    pageRefs: (space, signal) =>
      meetInTheMiddle(listRefs(space, 'id', signal), () => listRefs(space, '-id', signal)),
    async pagesById(ids, signal) {
      if (ids.length === 0) return [];
      const path = '/wiki/api/v2/pages';
      const query = {
        id: ids.join(','),
        status: 'current',
        'body-format': 'storage',
        limit: String(IDS_PER_REQUEST),
      };
      const pages: RawPageBytes[] = [];
      const bodies = createStorageBodyReader();
      for await (const listing of client.list(path, query, signal, bodies.read)) {
        const fetchedAt = Date.now();
        for (const { page, body } of listing.results) {
          const p = page as V2Page;
          if (p?.spaceId === undefined)
            throw new ConfluenceError('not-confluence', path, `GET ${path}: a page without spaceId`);
          const space = await spaceById(String(p.spaceId), signal);
          pages.push(toPage(p, body, space, pageBase, fetchedAt, path));
        }
      }
      return pages;
    },
  };
}
