// The simulator's deployments and credential habits, on the wire: Cloud's tenant_info and current
// user, a scoped token refused on the site and scope-checked by the gateway, Data Center's v1 under a
// context path with Bearer PATs and its expansion-capped paging, and wrong credentials as 403 or anonymous.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../../sim/index.ts';
import { basic, get, useSim } from './helpers.ts';

describe('Cloud', () => {
  const ctx = useSim({ spaces: 2, pages: 20 });

  it('answers its cloud id at /_edge/tenant_info without authentication', async () => {
    const r = await get(ctx.sim, '/_edge/tenant_info', null);
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ cloudId: ctx.sim.cloudId });
  });

  it('says who the caller is, and who anonymous is', async () => {
    expect((await get(ctx.sim, '/wiki/rest/api/user/current')).json).toMatchObject({
      type: 'known',
      email: 'sim@example.com',
      accountId: '712020:sim-full',
    });
    ctx.sim.admin.configure({ badCredentials: 'anonymous' });
    try {
      const anon = await get(ctx.sim, '/wiki/rest/api/user/current', basic('sim@example.com', 'wrong'));
      expect(anon.status).toBe(200);
      expect(anon.json).toMatchObject({ type: 'anonymous' });
      const spaces = await get(ctx.sim, '/wiki/api/v2/spaces', null);
      expect((spaces.json as { results: { key: string }[] }).results.map((s) => s.key)).toEqual(
        ctx.sim.admin.settings.anonymousSpaces,
      );
    } finally {
      ctx.sim.admin.configure({ badCredentials: '401' });
    }
  });

  it('answers wrong credentials with 403 when told to, but no credentials still with 401', async () => {
    ctx.sim.admin.configure({ badCredentials: '403' });
    try {
      expect((await get(ctx.sim, '/wiki/api/v2/spaces', basic('sim@example.com', 'wrong'))).status).toBe(403);
      expect((await get(ctx.sim, '/wiki/api/v2/spaces', null)).status).toBe(401);
    } finally {
      ctx.sim.admin.configure({ badCredentials: '401' });
    }
  });

  it('opens the page a webui link names, and 404s one that is gone', async () => {
    const page = ctx.sim.admin.state.filterPages(
      { ...ctx.sim.admin.state.users.get(ctx.sim.email)! },
      { statuses: ['current'] },
    )[0]!;
    const space = ctx.sim.admin.state.spaceOf(page).key;
    expect((await fetch(`${ctx.sim.baseUrl}/wiki/spaces/${space}/pages/${page.id}/x`)).status).toBe(200);
    ctx.sim.admin.deletePage(page.id);
    expect((await fetch(`${ctx.sim.baseUrl}/wiki/spaces/${space}/pages/${page.id}/x`)).status).toBe(404);
  });
});

describe('the gateway and scoped tokens', () => {
  let site: SimHandle;
  let gateway: GatewayHandle;
  beforeAll(async () => {
    site = await startSim({ spaces: 2, pages: 10 });
    site.admin.setUser('bot@example.com', { token: 'bot-token', scopes: ['read:space:confluence'] });
    gateway = await startGateway({ sites: [site] });
  });
  afterAll(async () => {
    await gateway.close();
    await site.close();
  });
  const viaGateway = (path: string, auth = basic('bot@example.com', 'bot-token')) =>
    fetch(`${gateway.url}/ex/confluence/${site.cloudId}${path}`, { headers: { authorization: auth } });

  it('refuses a scoped token on the site itself', async () => {
    expect((await get(site, '/wiki/api/v2/spaces', basic('bot@example.com', 'bot-token'))).status).toBe(401);
  });

  it('lets it through for a scope it has; the site answers with its own links', async () => {
    const r = await viaGateway('/wiki/api/v2/spaces?limit=1');
    expect(r.status).toBe(200);
    const body = (await r.json()) as { _links: { next?: string; base: string } };
    expect(body._links.base).toBe(`${site.baseUrl}/wiki`);
    expect(body._links.next).toMatch(/^\/wiki\/api\/v2\/spaces\?/);
  });

  it('answers a missing scope as Atlassian does', async () => {
    const r = await viaGateway('/wiki/api/v2/pages?limit=1');
    expect(r.status).toBe(401);
    expect(r.headers.get('x-failure-category')).toBe('FAILURE_CLIENT_SCOPE_CHECK');
    expect(await r.json()).toEqual({ code: 401, message: 'Unauthorized; scope does not match' });
  });

  it('never serves anyone as anonymous, and 404s an unknown cloud id', async () => {
    site.admin.configure({ badCredentials: 'anonymous' });
    try {
      expect((await viaGateway('/wiki/api/v2/spaces', basic('bot@example.com', 'wrong'))).status).toBe(401);
    } finally {
      site.admin.configure({ badCredentials: '401' });
    }
    const unknown = await fetch(`${gateway.url}/ex/confluence/not-a-site/wiki/api/v2/spaces`);
    expect(unknown.status).toBe(404);
  });
});

describe('Data Center', () => {
  const ctx = useSim({ spaces: 1, pages: 130, deployment: 'data-center', contextPath: '/confluence' });
  const bearer = () => `Bearer ${ctx.sim.token}`;

  it('serves v1 under the context path with a Bearer PAT; no v2, an HTML 404 outside the REST API', async () => {
    expect(ctx.sim.baseUrl).toMatch(/\/confluence$/);
    const me = await get(ctx.sim, '/rest/api/user/current', bearer());
    expect(me.json).toMatchObject({ type: 'known', username: 'sim' });
    expect((await get(ctx.sim, '/rest/api/space', basic('sim', ctx.sim.token))).status).toBe(200);
    const v2 = await get(ctx.sim, '/wiki/api/v2/spaces', bearer());
    expect(v2.status).toBe(404);
    expect(v2.headers.get('content-type')).toMatch(/html/);
  });

  it('caps limit by expansion and carries the applied limit in the next link, to the exact total', async () => {
    const seen = new Set<string>();
    let next: string | undefined = '/rest/api/content?type=page&limit=1000&expand=body.storage,version';
    const sizes: number[] = [];
    while (next) {
      const r = await get(ctx.sim, next, bearer());
      const body = r.json as {
        results: { id: string }[];
        limit: number;
        _links: { base: string; next?: string };
      };
      expect(body.limit).toBe(50);
      expect(body._links.base).toBe(ctx.sim.baseUrl);
      sizes.push(body.results.length);
      for (const c of body.results) seen.add(c.id);
      next = body._links.next;
      if (next) expect(next).toContain('limit=50');
    }
    expect(sizes).toEqual([50, 50, 30]);
    expect(seen.size).toBe(130);
    const meta = await get(ctx.sim, '/rest/api/content?type=page&limit=1000&expand=version', bearer());
    expect((meta.json as { limit: number }).limit).toBe(200);
  });

  it('serves a wrong PAT as anonymous when anonymous access is on (CONFSERVER-98199)', async () => {
    ctx.sim.admin.configure({ badCredentials: 'anonymous' });
    try {
      const me = await get(ctx.sim, '/rest/api/user/current', 'Bearer not-a-pat');
      expect(me.status).toBe(200);
      expect(me.json).toMatchObject({ type: 'anonymous' });
    } finally {
      ctx.sim.admin.configure({ badCredentials: '401' });
    }
    expect((await get(ctx.sim, '/rest/api/user/current', 'Bearer not-a-pat')).status).toBe(401);
  });
});
