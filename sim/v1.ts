// Confluence REST v1 — Cloud's legacy API under /wiki, and the only one Data Center has, under its
// context path: spaces, page content and the current user, with start/limit paging where
// `_links.next` is relative to `_links.base` (the context: `/wiki`, `/confluence` or none), not to
// the site root.
import { BadRequestError, intParam, listParam, type ApiRequest, type ApiResponse } from './api.ts';
import { PageBody } from './answer.ts';
import { pageWebui, type Page, type Space } from './model.ts';
import type { SimState } from './state.ts';
import { usernameOf, type User } from './users.ts';

/** Where v1 lives on a site, and how that deployment pages and links. */
export interface V1Layout {
  /** `/wiki` on Cloud; Data Center's context path (`/confluence`, or '' at the root). */
  context: string;
  dataCenter: boolean;
}

export const CLOUD_V1: V1Layout = { context: '/wiki', dataCenter: false };

const prefixOf = (layout: V1Layout) => `${layout.context}/rest/api`;
const SPACE_MAX_LIMIT = 500;

/**
 * The most content per page. Cloud: 1000. Data Center caps by expansion, whatever is asked (Atlassian
 * KB "Searching for content with the REST API and CQL always limits results to 50": 50 with a body
 * expansion, 200 with other expansions, 1000 with none); the answer's `limit` says what was applied.
 */
function contentMaxLimit(layout: V1Layout, expand: Set<string>): number {
  if (!layout.dataCenter) return 1000;
  if ([...expand].some((e) => e === 'body' || e.startsWith('body.'))) return 50;
  return expand.size > 0 ? 200 : 1000;
}

/** Data Center links a page by title under /display/ when the title allows it, else by id. */
function dataCenterWebui(spaceKey: string, page: Pick<Page, 'id' | 'title'>): string {
  return /^[\p{L}\p{N} _.-]+$/u.test(page.title)
    ? `/display/${encodeURIComponent(spaceKey)}/${encodeURIComponent(page.title).replace(/%20/g, '+')}`
    : `/pages/viewpage.action?pageId=${page.id}`;
}

/**
 * The page a webui link opens (for the sim's page views): null when the path is no webui form,
 * undefined when it is one but names no page.
 */
export function pageOfWebui(
  state: SimState,
  layout: V1Layout,
  path: string,
  query: URLSearchParams,
): Page | undefined | null {
  if (!path.startsWith(`${layout.context}/`)) return null;
  const rel = path.slice(layout.context.length);
  let m = /^\/spaces\/[^/]+\/pages\/(\d+)(\/|$)/.exec(rel);
  if (m) return state.page(Number(m[1]));
  if (rel === '/pages/viewpage.action') return state.page(Number(query.get('pageId')));
  m = /^\/display\/([^/]+)\/([^/]+)$/.exec(rel);
  if (m) {
    const space = state.space(decodeURIComponent(m[1]!));
    const title = decodeURIComponent(m[2]!.replace(/\+/g, ' '));
    return space ? state.findPageByTitle(space.id, title) : undefined;
  }
  return null;
}

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

function renderContent(
  state: SimState,
  layout: V1Layout,
  base: string,
  p: Page,
  expand: Set<string>,
): Record<string, unknown> {
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
  if (expand.has('body.storage'))
    out.body = { storage: { value: new PageBody(state.bodySource(p)), representation: 'storage' } };
  else expandable.body = '';
  if (expand.has('ancestors'))
    out.ancestors = state.ancestorsOf(p).map((a) => ({ id: String(a.id), type: 'page', title: a.title }));
  else expandable.ancestors = '';
  out._links = {
    webui: layout.dataCenter ? dataCenterWebui(space.key, p) : pageWebui(space.key, p),
    edit: `/pages/resumedraft.action?draftId=${p.id}`,
    tinyui: `/x/${p.id.toString(36)}`,
    self: `${base}/rest/api/content/${p.id}`,
  };
  out._expandable = expandable;
  return out;
}

/** Offset paging: `{results, start, limit, size, _links: {base, context, self, next?}}`. */
function offsetPage<T>(
  req: ApiRequest,
  layout: V1Layout,
  all: T[],
  maxLimit: number,
  render: (t: T) => unknown,
): ApiResponse {
  const q = req.query;
  const start = intParam(q, 'start', 0, 0, Number.MAX_SAFE_INTEGER);
  const limit = intParam(q, 'limit', 25, 0, maxLimit);
  const base = `${req.siteUrl}${layout.context}`;
  const items = all.slice(start, start + limit);
  const relPath = req.path.slice(layout.context.length);
  const links: Record<string, string> = { base, context: layout.context, self: `${base}${relPath}` };
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

/** `GET /rest/api/user/current`: Cloud answers accountId and email, Data Center username and userKey. */
function renderUser(layout: V1Layout, user: User): Record<string, unknown> {
  const picture = { path: '/images/icons/profilepics/default.svg', width: 48, height: 48, isDefault: true };
  if (user.anonymous)
    return { type: 'anonymous', profilePicture: picture, displayName: 'Anonymous', _links: {} };
  const displayName = usernameOf(user).replace(/^./, (c) => c.toUpperCase());
  return layout.dataCenter
    ? {
        type: 'known',
        username: usernameOf(user),
        userKey: `key-${user.accountId}`,
        profilePicture: picture,
        displayName,
        _links: {},
      }
    : {
        type: 'known',
        accountId: user.accountId,
        accountType: 'atlassian',
        email: user.email,
        publicName: displayName,
        profilePicture: picture,
        displayName,
        _links: {},
      };
}

/** Handles a v1 GET, or returns undefined when the path is not a v1 route. */
export function handleV1(
  state: SimState,
  req: ApiRequest,
  layout: V1Layout = CLOUD_V1,
): ApiResponse | undefined {
  const prefix = prefixOf(layout);
  if (!req.path.startsWith(`${prefix}/`)) return undefined;
  if (req.method !== 'GET') return v1Error(405, `Method ${req.method} is not simulated`);
  const q = req.query;
  const base = `${req.siteUrl}${layout.context}`;
  try {
    if (req.path === `${prefix}/user/current`) return { status: 200, body: renderUser(layout, req.user) };
    if (req.path === `${prefix}/space`) {
      const keys = listParam(q, 'spaceKey');
      const type = q.get('type');
      const status = q.get('status');
      const spaces = state
        .filterSpaces(req.user, { ...(keys ? { keys } : {}) })
        .filter((s) => (type === null || s.type === type) && (status === null || s.status === status));
      return offsetPage(req, layout, spaces, SPACE_MAX_LIMIT, (s) => renderSpace(base, s));
    }
    if (req.path === `${prefix}/content`) {
      const type = q.get('type') ?? 'page';
      const spaceKey = q.get('spaceKey');
      const space = spaceKey === null ? undefined : state.space(spaceKey);
      const statuses = (listParam(q, 'status') ?? ['current']) as Page['status'][];
      const expand = expandSet(q);
      const pages =
        type !== 'page' || (spaceKey !== null && !space)
          ? []
          : state.filterPages(req.user, { statuses, ...(space ? { spaceIds: [space.id] } : {}) });
      return offsetPage(req, layout, pages, contentMaxLimit(layout, expand), (p) =>
        renderContent(state, layout, base, p, expand),
      );
    }
    const m = /^\/content\/(\d+)$/.exec(req.path.slice(prefix.length));
    if (m) {
      const page = state.page(Number(m[1]));
      if (!page || page.status === 'draft' || !state.canSeePage(req.user, page)) {
        return v1Error(404, `No content found with id: ContentId{id=${m[1]}}`);
      }
      return { status: 200, body: renderContent(state, layout, base, page, expandSet(q)) };
    }
  } catch (err) {
    if (err instanceof BadRequestError) return v1Error(400, err.message);
    throw err;
  }
  return v1Error(404, `No route for ${req.path}`);
}

/** The space ids a v1 request lists pages of (for fault targeting). */
export function v1ListingSpaceIds(
  state: SimState,
  layout: V1Layout,
  path: string,
  query: URLSearchParams,
): number[] {
  if (path !== `${prefixOf(layout)}/content`) return [];
  const key = query.get('spaceKey');
  const space = key === null ? undefined : state.space(key);
  return space ? [space.id] : [];
}
