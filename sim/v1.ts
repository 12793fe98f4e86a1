// Confluence Cloud REST v1 (legacy): spaces and page content with start/limit paging, where
// `_links.next` is relative to `_links.base` (the `/wiki` context), not to the site root.
import { BadRequestError, intParam, listParam, type ApiRequest, type ApiResponse } from './api.ts';
import { pageWebui, type Page, type Space } from './model.ts';
import type { SimState } from './state.ts';

export const V1_PREFIX = '/wiki/rest/api';
const CONTENT_MAX_LIMIT = 1000;
const SPACE_MAX_LIMIT = 500;

/** The v1 error body. */
export function v1Error(status: number, message: string, headers?: Record<string, string>): ApiResponse {
  return {
    status,
    ...(headers ? { headers } : {}),
    body: {
      statusCode: status,
      data: {
        authorized: status !== 401 && status !== 403,
        valid: status < 500,
        errors: [],
        successful: false,
      },
      message,
    },
  };
}

function renderSpace(base: string, s: Space): Record<string, unknown> {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    type: s.type,
    status: s.status,
    _links: { webui: `/spaces/${s.key}`, self: `${base}/rest/api/space/${s.key}` },
    _expandable: { homepage: s.homepageId ? `/rest/api/content/${s.homepageId}` : '', description: '' },
  };
}

function renderContent(state: SimState, base: string, p: Page, expand: Set<string>): Record<string, unknown> {
  const space = state.spaceOf(p);
  const out: Record<string, unknown> = { id: String(p.id), type: 'page', status: p.status, title: p.title };
  const expandable: Record<string, string> = {};
  if (expand.has('space')) out.space = renderSpace(base, space);
  else expandable.space = `/rest/api/space/${space.key}`;
  if (expand.has('version')) {
    out.version = {
      by: { type: 'known', accountId: p.authorId },
      when: new Date(p.modifiedAt).toISOString(),
      number: p.version,
      minorEdit: false,
      message: '',
    };
  } else expandable.version = '';
  if (expand.has('body.storage')) out.body = { storage: { value: state.body(p), representation: 'storage' } };
  else expandable.body = '';
  out._links = {
    webui: pageWebui(space.key, p),
    edit: `/pages/resumedraft.action?draftId=${p.id}`,
    tinyui: `/x/${p.id.toString(36)}`,
    self: `${base}/rest/api/content/${p.id}`,
  };
  out._expandable = expandable;
  return out;
}

/** Offset paging: `{results, start, limit, size, _links: {base, context, self, next?}}`. */
function offsetPage<T>(req: ApiRequest, all: T[], maxLimit: number, render: (t: T) => unknown): ApiResponse {
  const q = req.query;
  const start = intParam(q, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(q, 'limit', 25, 0, maxLimit);
  const base = `${req.siteUrl}/wiki`;
  const items = all.slice(start, start + limit);
  const relPath = req.path.slice('/wiki'.length);
  const links: Record<string, string> = { base, context: '/wiki', self: `${base}${relPath}` };
  if (start + items.length < all.length && limit > 0) {
    const next = new URLSearchParams(q);
    next.set('start', String(start + items.length));
    next.set('limit', String(limit));
    links.next = `${relPath}?${next.toString()}`;
  }
  return {
    status: 200,
    body: { results: items.map(render), start, limit, size: items.length, _links: links },
  };
}

function expandSet(q: URLSearchParams): Set<string> {
  return new Set(listParam(q, 'expand') ?? []);
}

/** Handles a v1 GET, or returns undefined when the path is not a v1 route. */
export function handleV1(state: SimState, req: ApiRequest): ApiResponse | undefined {
  if (!req.path.startsWith(`${V1_PREFIX}/`)) return undefined;
  if (req.method !== 'GET') return v1Error(405, `Method ${req.method} is not simulated`);
  const q = req.query;
  const base = `${req.siteUrl}/wiki`;
  try {
    if (req.path === `${V1_PREFIX}/space`) {
      const keys = listParam(q, 'spaceKey');
      const type = q.get('type');
      const status = q.get('status');
      const spaces = state
        .filterSpaces(req.user, { ...(keys ? { keys } : {}) })
        .filter((s) => (type === null || s.type === type) && (status === null || s.status === status));
      return offsetPage(req, spaces, SPACE_MAX_LIMIT, (s) => renderSpace(base, s));
    }
    if (req.path === `${V1_PREFIX}/content`) {
      const type = q.get('type') ?? 'page';
      const spaceKey = q.get('spaceKey');
      const space = spaceKey === null ? undefined : state.space(spaceKey);
      const statuses = (listParam(q, 'status') ?? ['current']) as Page['status'][];
      const expand = expandSet(q);
      const pages =
        type !== 'page' || (spaceKey !== null && !space)
          ? []
          : state.filterPages(req.user, { statuses, ...(space ? { spaceIds: [space.id] } : {}) });
      return offsetPage(req, pages, CONTENT_MAX_LIMIT, (p) => renderContent(state, base, p, expand));
    }
    const m = /^\/wiki\/rest\/api\/content\/(\d+)$/.exec(req.path);
    if (m) {
      const page = state.page(Number(m[1]));
      if (!page || page.status === 'draft' || !state.canSeePage(req.user, page)) {
        return v1Error(404, `No content found with id: ContentId{id=${m[1]}}`);
      }
      return { status: 200, body: renderContent(state, base, page, expandSet(q)) };
    }
  } catch (err) {
    if (err instanceof BadRequestError) return v1Error(400, err.message);
    throw err;
  }
  return v1Error(404, `No route for ${req.path}`);
}

/** The space ids a v1 request lists pages of (for fault targeting). */
export function v1ListingSpaceIds(state: SimState, path: string, query: URLSearchParams): number[] {
  if (path !== `${V1_PREFIX}/content`) return [];
  const key = query.get('spaceKey');
  const space = key === null ? undefined : state.space(key);
  return space ? [space.id] : [];
}
