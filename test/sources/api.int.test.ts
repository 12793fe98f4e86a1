// The sources API on the real stack: connect sites (checked first), list, get, change, pause, delete.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { cleanUpSources, sourcesEnv, startPipeline, type Pipeline } from './helpers.ts';

let simA: SimHandle;
let p: Pipeline;

beforeAll(async () => {
  simA = await startSim({ seed: 11, spaces: 3, pages: 40 });
  p = await startPipeline(sourcesEnv('src-api'));
});
afterAll(async () => {
  await p?.stop();
  await simA?.close();
  if (p) await cleanUpSources(p.env);
});

describe('sources API', () => {
  it('refuses a request without the admin token', async () => {
    const r = await p.api('GET', '/api/sources', undefined, '');
    expect(r.status).toBe(401);
    expect(r.body.hint).toMatch(/Bearer/);
    expect((await p.api('GET', '/api/sources', undefined, 'wrong-token-wrong-token')).status).toBe(401);
  });

  it('serves an OpenAPI document naming every route', async () => {
    const r = await p.api('GET', '/api/openapi.json', undefined, '');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/sources',
        '/api/sources/{id}',
        '/api/sources/{id}/runs',
        '/api/sources/{id}/pages',
      ]),
    );
  });

  it('refuses bad credentials with the check’s message, and stores nothing', async () => {
    const r = await p.api('POST', '/api/sources', {
      baseUrl: simA.baseUrl,
      email: simA.email,
      token: 'not-the-right-token',
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/rejected the credentials of sim@example.com \(401\)/);
    expect(r.body.hint).toMatch(/api-tokens/);
    expect((await p.api('GET', '/api/sources')).body).toEqual([]);
  });

  it('names the field and the fix for a domain with https://', async () => {
    const r = await p.api('POST', '/api/sources', {
      domain: 'https://acme.atlassian.net/wiki',
      email: 'a@b.co',
      token: 'x'.repeat(20),
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toContain('"domain": "acme.atlassian.net"');
  });

  it('connects a site, shows it without its token, and refuses a second one with the same id', async () => {
    const r = await p.api('POST', '/api/sources', {
      id: 'site-a',
      baseUrl: simA.baseUrl,
      email: simA.email,
      token: simA.token,
      schedule: { paused: true },
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      id: 'site-a',
      tokenStored: true,
      schedule: { every: '4h', paused: true },
    });
    expect(r.text).not.toContain(simA.token);
    const again = await p.api('POST', '/api/sources', {
      id: 'site-a',
      baseUrl: simA.baseUrl,
      email: simA.email,
      token: simA.token,
    });
    expect(again.status).toBe(409);
    const list = await p.api('GET', '/api/sources');
    expect(list.body.map((s: { id: string }) => s.id)).toEqual(['site-a']);
    const one = await p.api('GET', '/api/sources/site-a');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      id: 'site-a',
      live: null,
      runs: [],
      status: { running: null, nextRunAt: null },
    });
  });

  it('checks new credentials before saving a change', async () => {
    const bad = await p.api('PATCH', '/api/sources/site-a', { token: 'another-wrong-token' });
    expect(bad.status).toBe(422);
    const good = await p.api('PATCH', '/api/sources/site-a', {
      schedule: { every: '30m' },
      scope: { exclude: ['ENG'] },
    });
    expect(good.status, good.text).toBe(200);
    expect(good.body).toMatchObject({
      schedule: { every: '30m', paused: true },
      scope: { exclude: ['ENG'], include: [], archived: true },
    });
  });

  it('404s an unknown source with a hint', async () => {
    const r = await p.api('GET', '/api/sources/nope');
    expect(r.status).toBe(404);
    expect(r.body.hint).toMatch(/GET \/api\/sources/);
  });
});
