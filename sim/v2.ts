// Confluence Cloud REST v2: spaces and pages, in the shapes of
// sim/reference/confluence-rest-v2-pages-spaces.openapi.json.
import {
  BadRequestError,
  boolParam,
  enumListParam,
  enumParam,
  intListParam,
  intParam,
  listParam,
  type ApiRequest,
  type ApiResponse,
} from './api.ts';
import { PageBody } from './answer.ts';
import { SPACE_TYPES, pageWebui, type Page, type PageStatus, type Space } from './model.ts';
import { BadCursorError, decodeCursor, encodeCursor, type Slice } from './paging.ts';
import { PAGE_SORTS, SPACE_SORTS, type PageQuery } from './queries.ts';
import type { SimState } from './state.ts';

export const V2_PREFIX = '/wiki/api/v2';

const BULK_BODY_FORMATS = ['storage', 'atlas_doc_format'] as const;
const SINGLE_BODY_FORMATS = [
  'storage',
  'atlas_doc_format',
  'view',
  'export_view',
  'anonymous_export_view',
] as const;
const LIST_STATUSES = ['current', 'archived', 'deleted', 'trashed'] as const;
const DEFAULT_STATUSES: PageStatus[] = ['current', 'archived'];
const MAX_LIMIT = 250;
const DEFAULT_LIMIT = 25;

const ERROR_CODES: Record<number, string> = {
  400: 'INVALID_REQUEST_PARAMETER',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
};

/** The v2 error body: `{"errors":[{"status","code","title","detail"}]}`. */
export function v2Error(status: number, title: string, headers?: Record<string, string>): ApiResponse {
  return {
    status,
    ...(headers ? { headers } : {}),
    body: { errors: [{ status, code: ERROR_CODES[status] ?? 'ERROR', title, detail: null }] },
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

type BodyFormat = (typeof SINGLE_BODY_FORMATS)[number];

function renderBody(state: SimState, page: Page, format: BodyFormat | undefined): Record<string, unknown> {
  if (format === 'storage')
    return { storage: { representation: 'storage', value: new PageBody(state.bodySource(page)) } };
  if (format === 'atlas_doc_format') {
    return {
      atlas_doc_format: { representation: 'atlas_doc_format', value: new PageBody(state.adfBody(page)) },
    };
  }
  return {}; // rendered views are not simulated; without body-format Confluence sends {} too
}

function renderPage(state: SimState, page: Page, format?: BodyFormat): Record<string, unknown> {
  const space = state.spaceOf(page);
  return {
    id: String(page.id),
    status: page.status,
    title: page.title,
    spaceId: String(page.spaceId),
    // Top-level pages omit parentId/parentType: the schema types them as non-null strings.
    ...(page.parentId ? { parentId: String(page.parentId), parentType: 'page' } : {}),
    position: page.position,
    authorId: page.authorId,
    ownerId: page.authorId,
    lastOwnerId: null,
    createdAt: iso(page.createdAt),
    version: {
      number: page.version,
      message: '',
      minorEdit: false,
      authorId: page.authorId,
      createdAt: iso(page.modifiedAt),
    },
    body: renderBody(state, page, format),
    _links: {
      webui: pageWebui(space.key, page),
      editui: `/pages/resumedraft.action?draftId=${page.id}`,
      tinyui: `/x/${page.id.toString(36)}`,
    },
  };
}

function renderSpace(space: Space, q: URLSearchParams): Record<string, unknown> {
  const descriptionFormat = enumParam(q, 'description-format', ['plain', 'view'] as const);
  return {
    id: String(space.id),
    key: space.key,
    name: space.name,
    type: space.type,
    status: space.status,
    authorId: space.authorId,
    createdAt: iso(space.createdAt),
    ...(space.homepageId ? { homepageId: String(space.homepageId) } : {}),
    ...(descriptionFormat
      ? {
          description: {
            [descriptionFormat]: { representation: descriptionFormat, value: `${space.name} space` },
          },
        }
      : {}),
    ...(boolParam(q, 'include-icon')
      ? {
          icon: {
            path: `/wiki/aa-avatar/${space.id}`,
            apiDownloadLink: `/wiki/rest/api/space/${space.key}/icon`,
          },
        }
      : {}),
    _links: { webui: `/spaces/${space.key}` },
  };
}

/** Results plus a `next` link that is the same request with the cursor advanced; absent at the end. */
function multi<T>(req: ApiRequest, slice: Slice<T>, render: (t: T) => unknown): ApiResponse {
  const links: Record<string, string> = { base: `${req.siteUrl}/wiki` };
  const headers: Record<string, string> = {};
  if (slice.next) {
    const q = new URLSearchParams(req.query);
    q.set('cursor', encodeCursor(slice.next));
    links.next = `${req.path}?${q.toString()}`;
    headers.Link = `<${links.next}>; rel="next", <${links.base}>; rel="base"`;
  }
  return { status: 200, headers, body: { results: slice.items.map(render), _links: links } };
}

function cursorOf(q: URLSearchParams, sort: string) {
  const raw = q.get('cursor');
  return raw === null ? undefined : decodeCursor(raw, sort);
}

function pathId(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new BadRequestError(`Invalid id '${raw}'`);
  return Number(raw);
}

function listSpaces(state: SimState, req: ApiRequest): ApiResponse {
  const q = req.query;
  const sort = enumParam(q, 'sort', SPACE_SORTS) ?? 'id';
  const limit = intParam(q, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  const keys = listParam(q, 'keys');
  if (keys && keys.length > 250) throw new BadRequestError("Too many values for 'keys' (max 250)");
  const ids = intListParam(q, 'ids', 250);
  const type = enumParam(q, 'type', SPACE_TYPES);
  const status = enumParam(q, 'status', ['current', 'archived'] as const);
  enumParam(q, 'description-format', ['plain', 'view'] as const);
  boolParam(q, 'include-icon');
  const slice = state.listSpaces(
    req.user,
    {
      ...(ids ? { ids } : {}),
      ...(keys ? { keys } : {}),
      ...(type ? { type } : {}),
      ...(status ? { status } : {}),
      // No space has labels or favourites here.
      matchNone: !!listParam(q, 'labels') || q.has('favorited-by'),
    },
    sort,
    cursorOf(q, sort),
    limit,
  );
  return multi(req, slice, (s) => renderSpace(s, q));
}

function listPages(state: SimState, req: ApiRequest, spaceId?: number): ApiResponse {
  const q = req.query;
  const sort = enumParam(q, 'sort', PAGE_SORTS) ?? 'id';
  const limit = intParam(q, 'limit', DEFAULT_LIMIT, 1, MAX_LIMIT);
  const format = enumParam(q, 'body-format', BULK_BODY_FORMATS);
  const statuses = enumListParam(q, 'status', LIST_STATUSES) ?? DEFAULT_STATUSES;
  const title = q.get('title');
  const depth = spaceId !== undefined ? enumParam(q, 'depth', ['all', 'root'] as const) : undefined;
  const query: PageQuery = { statuses: statuses as PageStatus[], ...(title !== null ? { title } : {}) };
  if (spaceId !== undefined) {
    const space = state.space(spaceId);
    if (!space || !state.canSeeSpace(req.user, space)) return v2Error(404, `Space ${spaceId} not found`);
    query.spaceIds = [spaceId];
    query.rootOnly = depth === 'root';
  } else {
    const spaceIds = intListParam(q, 'space-id', 100);
    const ids = intListParam(q, 'id', 250);
    if (spaceIds) query.spaceIds = spaceIds;
    if (ids) query.ids = ids;
  }
  const slice = state.listPages(req.user, query, sort, cursorOf(q, sort), limit);
  return multi(req, slice, (p) =>
    format ? renderPage(state, p, format) : state.rendered.of(p, 'listing', '', () => renderPage(state, p)),
  );
}

function getPage(state: SimState, req: ApiRequest, id: number): ApiResponse {
  const q = req.query;
  const format = enumParam(q, 'body-format', SINGLE_BODY_FORMATS);
  const draft = boolParam(q, 'get-draft') ?? false;
  const version = q.has('version') ? intParam(q, 'version', 1, 1, Number.MAX_SAFE_INTEGER) : undefined;
  const page = state.page(id);
  if (!page || !state.canSeePage(req.user, page) || (page.status === 'draft' && !draft)) {
    return v2Error(404, `Page ${id} not found`);
  }
  if (version !== undefined && version > page.version)
    return v2Error(404, `Version ${version} of page ${id} not found`);
  // An older version is regenerated from the seed (admin-supplied bodies have no history).
  const shown = version !== undefined && page.body === undefined ? { ...page, version } : page;
  return { status: 200, body: renderPage(state, shown, format) };
}

function getSpace(state: SimState, req: ApiRequest, id: number): ApiResponse {
  const space = state.space(id);
  if (!space || !state.canSeeSpace(req.user, space)) return v2Error(404, `Space ${id} not found`);
  return { status: 200, body: renderSpace(space, req.query) };
}

/** Handles a v2 GET, or returns undefined when the path is not a v2 route. */
export function handleV2(state: SimState, req: ApiRequest): ApiResponse | undefined {
  if (!req.path.startsWith(`${V2_PREFIX}/`)) return undefined;
  const parts = req.path.slice(V2_PREFIX.length + 1).split('/');
  if (req.method !== 'GET') return v2Error(405, `Method ${req.method} is not simulated`);
  try {
    if (parts[0] === 'spaces' && parts.length === 1) return listSpaces(state, req);
    if (parts[0] === 'spaces' && parts.length === 2) return getSpace(state, req, pathId(parts[1]!));
    if (parts[0] === 'spaces' && parts.length === 3 && parts[2] === 'pages') {
      return listPages(state, req, pathId(parts[1]!));
    }
    if (parts[0] === 'pages' && parts.length === 1) return listPages(state, req);
    if (parts[0] === 'pages' && parts.length === 2) return getPage(state, req, pathId(parts[1]!));
  } catch (err) {
    if (err instanceof BadRequestError || err instanceof BadCursorError) return v2Error(400, err.message);
    throw err;
  }
  return v2Error(404, `No route for ${req.path}`);
}

/** The space ids a request lists pages of, so faults can target "space S's page listing". */
export function v2ListingSpaceIds(path: string, query: URLSearchParams): number[] {
  const m = /^\/wiki\/api\/v2\/spaces\/(\d+)\/pages$/.exec(path);
  if (m) return [Number(m[1])];
  if (path === `${V2_PREFIX}/pages`) {
    return (listParam(query, 'space-id') ?? []).filter((v) => /^\d+$/.test(v)).map(Number);
  }
  return [];
}
