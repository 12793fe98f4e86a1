// The Confluence Cloud data source (REST v2, on the site or through the gateway): what a full pull
// reads, in the product's words. Every space the credentials can read (global and personal, current
// and archived) and every current page in each, with its storage body, as async iterators of listing
// pages so memory stays flat however big the site. Data Center's twin is data-center-source.ts.
import type { RawPage, Space } from '../schemas/index.ts';
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';
import type { Account } from './identity.ts';

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
  parentId?: string | number | null;
  version?: { number?: number; createdAt?: string };
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

export function toPage(p: V2Page, space: Space, pageBase: string, fetchedAt: number, path: string): RawPage {
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
    body: p.body?.storage?.value ?? '',
    url: pageBase + webui,
    fetchedAt,
  };
}

export function* mapEach<T, R>(items: Iterable<T>, map: (item: T) => R): Generator<R> {
  for (const item of items) yield map(item);
}

export interface ConfluenceSource {
  /** Who the site says the credentials are (anonymous included: see identity.ts). */
  currentUser(signal?: AbortSignal): Promise<Account>;
  /** Spaces, one listing page (of up to `limit`) at a time, every space the account can read. */
  spaces(signal?: AbortSignal, limit?: number): AsyncGenerator<Space[]>;
  /**
   * A space's current pages with storage bodies, one listing page at a time. Each page is parsed when
   * its listing is iterated (once), so a listing's pages need not all be in memory as objects at once.
   */
  pages(space: Space, signal?: AbortSignal, limit?: number): AsyncGenerator<Iterable<RawPage>>;
}

export interface SourceOptions {
  /** Where page URLs hang off: the customer's site (`https://acme.atlassian.net/wiki`), never the gateway. */
  pageBase: string;
}

export function createConfluenceSource(client: ConfluenceClient, opts: SourceOptions): ConfluenceSource {
  const pageBase = opts.pageBase.replace(/\/+$/, '');
  return {
    async currentUser(signal) {
      return (await client.getJson('/wiki/rest/api/user/current', signal)).body as Account;
    },
    // No `status`/`type` filter: v2 then lists current and archived, global and personal.
    async *spaces(signal, limit = LIST_LIMIT) {
      const path = '/wiki/api/v2/spaces';
      for await (const listing of client.list<V2Space>(path, { limit: String(limit) }, signal)) {
        yield Array.from(listing.results, (s) => toSpace(s, path));
      }
    },
    async *pages(space, signal, limit = LIST_LIMIT) {
      const path = `/wiki/api/v2/spaces/${encodeURIComponent(space.id)}/pages`;
      const query = { status: 'current', 'body-format': 'storage', limit: String(limit) };
      for await (const listing of client.list<V2Page>(path, query, signal)) {
        const fetchedAt = Date.now();
        yield mapEach(listing.results, (p) => toPage(p, space, pageBase, fetchedAt, path));
      }
    },
  };
}
