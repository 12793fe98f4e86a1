// The Confluence Data Center (and Server) data source: REST v1 only — Data Center has no v2 — with
// start/limit paging. The same spaces and pages as the Cloud source, so nothing downstream can tell.
//
// Paging: Data Center caps `limit` by what is expanded (Atlassian KB "Searching for content with the
// REST API and CQL always limits results to 50": 50 with a body expansion, 200 with others, 1000
// without), whatever is asked. So the next request is always the answer's own `_links.next` (which
// carries the capped limit), never one computed from the limit we asked for; and an empty page ends
// the listing even if a next link is still offered (CONFSERVER-95396: next links past the end).
//
// Bodies by id: v1 has no multi-id page read, so each page of a batch is one
// `GET /rest/api/content/{id}?expand=body.storage,version,ancestors,space`, all of a batch in flight at
// once within the client's connections (a CQL `id in (…)` search would take 50 per request).
import { ConfluenceError, type ConfluenceClient } from './confluence-client.ts';
import {
  toPage,
  toSpace,
  type ConfluenceSource,
  type SourceOptions,
  type V2Page,
} from './confluence-source.ts';
import type { Account } from './identity.ts';

/** Asked for; Data Center answers with fewer per page when it caps (see above). */
export const DC_LIST_LIMIT = 200;

interface V1Content {
  id: string | number;
  space?: Parameters<typeof toSpace>[0];
  title?: string;
  status?: string;
  version?: { number?: number; when?: string };
  ancestors?: { id: string | number }[];
  body?: { storage?: { value?: string } };
  _links?: { webui?: string };
}

/** A v1 page in the v2 shape the Cloud source reads, so one function makes every RawPage. */
function asV2(p: V1Content): V2Page {
  const parent = p.ancestors?.at(-1);
  return {
    id: p.id,
    ...(p.title !== undefined ? { title: p.title } : {}),
    ...(p.status !== undefined ? { status: p.status } : {}),
    parentId: parent === undefined ? null : parent.id,
    version: {
      ...(p.version?.number !== undefined ? { number: p.version.number } : {}),
      ...(p.version?.when ? { createdAt: p.version.when } : {}),
    },
    ...(p.body ? { body: p.body } : {}),
    _links: { webui: p._links?.webui ?? `/pages/viewpage.action?pageId=${p.id}` },
  };
}

export function createDataCenterSource(client: ConfluenceClient, opts: SourceOptions): ConfluenceSource {
  const pageBase = opts.pageBase.replace(/\/+$/, '');
  /** Listing pages until one comes back empty: see CONFSERVER-95396 above. */
  async function* listing<T>(path: string, query: Record<string, string>, signal?: AbortSignal) {
    for await (const page of client.list<T>(path, query, signal)) {
      if (page.size === 0) return;
      yield page;
    }
  }
  return {
    async currentUser(signal) {
      return (await client.getJson('/rest/api/user/current', signal)).body as Account;
    },
    async *spaces(signal, limit = DC_LIST_LIMIT) {
      const path = '/rest/api/space';
      for await (const page of listing<Parameters<typeof toSpace>[0]>(
        path,
        { limit: String(limit) },
        signal,
      )) {
        yield Array.from(page.results, (s) => toSpace(s, path));
      }
    },
    async *pageRefs(space, signal) {
      const path = '/rest/api/content';
      const query = {
        type: 'page',
        spaceKey: space.key,
        status: 'current',
        expand: 'version',
        limit: String(DC_LIST_LIMIT),
      };
      for await (const page of listing<V1Content>(path, query, signal)) {
        yield Array.from(page.results, (p) => ({ id: String(p.id), version: p.version?.number ?? 1 }));
      }
    },
    async pagesById(ids, signal) {
      const fetched = await Promise.all(
        ids.map(async (id) => {
          const path = `/rest/api/content/${encodeURIComponent(id)}?expand=body.storage,version,ancestors,space`;
          try {
            const p = (await client.getJson(path, signal)).body as V1Content;
            if (p.status !== undefined && p.status !== 'current') return undefined;
            if (!p.space)
              throw new ConfluenceError('not-confluence', path, `GET ${path}: a page without space`);
            const body = Buffer.from(p.body?.storage?.value ?? '');
            return toPage(asV2(p), body, toSpace(p.space, path), pageBase, Date.now(), path);
          } catch (err) {
            if (err instanceof ConfluenceError && err.kind === 'not-found') return undefined; // gone
            throw err;
          }
        }),
      );
      return fetched.filter((p) => p !== undefined);
    },
  };
}
