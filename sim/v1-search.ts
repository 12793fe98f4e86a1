// REST v1 content search (CQL) with the expansions sync tools read restrictions, ancestors and labels
// through, and the bulk user lookup. Shapes and limits as Atlassian documents them (sim/README.md):
// the limit is capped at 50 with a body expansion, 200 with other expansions, 1000 without; Cloud pages
// with an opaque `cursor` in `_links.next`, relative to `_links.base`.
import { BadRequestError, listParam, intParam, type ApiRequest, type ApiResponse } from './api.ts';
import { displayNameOf, pageWebui, type Page, type PageStatus } from './model.ts';
import type { SimState } from './state.ts';
import type { User } from './users.ts';
import { CLOUD_V1, v1Error, type V1Layout } from './v1.ts';

const USERS_MAX = 200;

interface Cql {
  type?: string;
  spaceKey?: string;
  label?: string;
  /** `id = N` or `id in (N, M, …)`. */
  ids?: number[];
}

/**
 * The CQL this simulator understands: `type`, `space` (`space.key`), `label` and `id` (`=` or `in`)
 * clauses joined by AND.
 */
export function parseCql(cql: string): Cql {
  const out: Cql = {};
  for (const clause of cql.split(/\s+and\s+/i)) {
    const ids = /^\s*id\s*(?:=\s*(\d+)|in\s*\(\s*(\d+(?:\s*,\s*\d+)*)\s*\))\s*$/i.exec(clause);
    if (ids) {
      out.ids = (ids[1] ?? ids[2]!).split(',').map((id) => Number(id.trim()));
      continue;
    }
    const m = /^\s*(type|space|space\.key|label)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))\s*$/i.exec(clause);
    if (!m) throw new BadRequestError(`Could not parse cql : ${cql}`);
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    const field = m[1]!.toLowerCase();
    if (field === 'type') out.type = value;
    else if (field === 'label') out.label = value.toLowerCase();
    else out.spaceKey = value;
  }
  return out;
}

function statusesOf(q: URLSearchParams): PageStatus[] {
  const context = q.get('cqlcontext');
  if (context === null) return ['current'];
  let parsed: { contentStatuses?: unknown };
  try {
    parsed = JSON.parse(context) as { contentStatuses?: unknown };
  } catch {
    throw new BadRequestError(`cqlcontext is not valid JSON: ${context}`);
  }
  const statuses = Array.isArray(parsed.contentStatuses) ? parsed.contentStatuses : ['current'];
  return statuses.filter((s): s is PageStatus => s === 'current' || s === 'archived');
}

const knownUser = (base: string, accountId: string) => ({
  type: 'known',
  accountId,
  accountType: 'atlassian',
  email: '',
  publicName: displayNameOf(accountId),
  displayName: displayNameOf(accountId),
  profilePicture: { path: '/wiki/aa-avatar/default.png', width: 48, height: 48, isDefault: true },
  isExternalCollaborator: false,
  _expandable: { operations: '', personalSpace: '' },
  _links: { self: `${base}/rest/api/user?accountId=${encodeURIComponent(accountId)}` },
});

const list = (results: unknown[]) => ({ results, start: 0, limit: 200, size: results.length });

/** `restrictions.read` with the users and groups that may read: empty lists for an unrestricted page. */
function readRestrictions(base: string, page: Page, expand: Set<string>) {
  const restrictions: Record<string, unknown> = {};
  const expandable: Record<string, string> = {};
  if (expand.has('restrictions.read.restrictions.user'))
    restrictions.user = list(page.restricted ? [knownUser(base, page.authorId)] : []);
  else expandable.user = `/rest/api/content/${page.id}/restriction/byOperation/read/user`;
  if (expand.has('restrictions.read.restrictions.group'))
    restrictions.group = list(
      page.restricted ? [{ type: 'group', name: 'confluence-admins', id: 'g-1' }] : [],
    );
  else expandable.group = `/rest/api/content/${page.id}/restriction/byOperation/read/group`;
  return {
    read: {
      operation: 'read',
      restrictions: { ...restrictions, _expandable: expandable },
      _expandable: { content: `/rest/api/content/${page.id}` },
      _links: { self: `${base}/rest/api/content/${page.id}/restriction/byOperation/read` },
    },
    _expandable: { update: '' },
    _links: { self: `${base}/rest/api/content/${page.id}/restriction/byOperation` },
  };
}

function renderResult(state: SimState, base: string, page: Page, expand: Set<string>) {
  const space = state.spaceOf(page);
  const out: Record<string, unknown> = {
    id: String(page.id),
    type: 'page',
    status: page.status,
    title: page.title,
  };
  const expandable: Record<string, string> = {};
  if (expand.has('ancestors')) {
    const chain: Page[] = [];
    for (let p = state.page(page.parentId); p && chain.length < 1000; p = state.page(p.parentId))
      chain.unshift(p);
    out.ancestors = chain.map((a) => ({ id: String(a.id), type: 'page', status: a.status, title: a.title }));
  } else expandable.ancestors = '';
  if ([...expand].some((e) => e.startsWith('restrictions.read')))
    out.restrictions = readRestrictions(base, page, expand);
  else expandable.restrictions = `/rest/api/content/${page.id}/restriction/byOperation`;
  if (expand.has('metadata.labels')) {
    const labels = (page.labels ?? []).map((name, i) => ({
      prefix: 'global',
      name,
      id: String(i + 1),
      label: name,
    }));
    out.metadata = { labels: { ...list(labels), _links: {} }, _expandable: { properties: '' } };
  } else expandable.metadata = '';
  out._links = {
    webui: pageWebui(space.key, page),
    tinyui: `/x/${page.id.toString(36)}`,
    self: `${base}/rest/api/content/${page.id}`,
  };
  out._expandable = expandable;
  return out;
}

const encodeCursor = (offset: number) => Buffer.from(`o:${offset}`).toString('base64url');
function decodeCursor(cursor: string | null): number {
  if (cursor === null) return 0;
  const m = /^o:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!m) throw new BadRequestError(`Invalid cursor: ${cursor}`);
  return Number(m[1]);
}

function search(state: SimState, req: ApiRequest, layout: V1Layout): ApiResponse {
  const q = req.query;
  const cqlText = q.get('cql');
  if (!cqlText) throw new BadRequestError('cql parameter is required');
  const cql = parseCql(cqlText);
  const expand = new Set(listParam(q, 'expand') ?? []);
  const cap = [...expand].some((e) => e.startsWith('body')) ? 50 : expand.size > 0 ? 200 : 1000;
  const limit = intParam(q, 'limit', 25, 0, cap);
  const offset = decodeCursor(q.get('cursor'));
  const space = cql.spaceKey === undefined ? undefined : state.space(cql.spaceKey);
  const matches =
    (cql.type ?? 'page') !== 'page' || (cql.spaceKey !== undefined && !space)
      ? []
      : state
          .filterPages(req.user, {
            statuses: statusesOf(q),
            ...(space ? { spaceIds: [space.id] } : {}),
            ...(cql.ids ? { ids: cql.ids } : {}),
          })
          .filter((p) => cql.label === undefined || (p.labels ?? []).includes(cql.label));
  const base = `${req.siteUrl}${layout.context}`;
  const items = matches.slice(offset, offset + limit);
  const relPath = req.path.slice(layout.context.length);
  const links: Record<string, string> = { base, context: layout.context, self: `${base}${relPath}` };
  if (offset + items.length < matches.length && limit > 0) {
    const next = new URLSearchParams(q);
    next.set('limit', String(limit));
    next.set('cursor', encodeCursor(offset + items.length));
    links.next = `${relPath}?${next.toString()}`;
  }
  return {
    status: 200,
    body: {
      // A result with ancestors depends on other pages: only the others are kept (rendered.ts).
      results: items.map((p) =>
        expand.has('ancestors')
          ? renderResult(state, base, p, expand)
          : state.rendered.of(p, 'search', `${base} ${[...expand].sort().join(',')}`, () =>
              renderResult(state, base, p, expand),
            ),
      ),
      start: offset,
      limit,
      size: items.length,
      totalSize: matches.length,
      cqlQuery: cqlText,
      searchDuration: 3,
      _links: links,
    },
  };
}

/** Every account id the site knows resolves; others are left out of `results`, as Confluence does. */
function usersBulk(state: SimState, req: ApiRequest): ApiResponse {
  const ids = listParam(req.query, 'accountId');
  if (!ids) throw new BadRequestError('accountId parameter is required');
  const known = new Set([...state.accountIds, ...[...state.users.values()].map((u: User) => u.accountId)]);
  const base = `${req.siteUrl}/wiki`;
  const results = [...new Set(ids)]
    .filter((id) => known.has(id))
    .slice(0, USERS_MAX)
    .map((id) => knownUser(base, id));
  return {
    status: 200,
    body: { results, start: 0, limit: USERS_MAX, size: results.length, _links: { base, context: '/wiki' } },
  };
}

/** Handles the v1 search and (Cloud only) bulk user routes, or returns undefined for any other path. */
export function handleV1Search(
  state: SimState,
  req: ApiRequest,
  layout: V1Layout = CLOUD_V1,
): ApiResponse | undefined {
  const prefix = `${layout.context}/rest/api`;
  const route =
    req.path === `${prefix}/content/search`
      ? 'search'
      : req.path === `${prefix}/user/bulk` && !layout.dataCenter
        ? 'users'
        : undefined;
  if (!route) return undefined;
  if (req.method !== 'GET') return v1Error(405, `Method ${req.method} is not simulated`);
  try {
    return route === 'search' ? search(state, req, layout) : usersBulk(state, req);
  } catch (err) {
    if (err instanceof BadRequestError) return v1Error(400, err.message);
    throw err;
  }
}
