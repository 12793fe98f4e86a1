// The sources API's deployment choice on the real stack: a Cloud site with a scoped token (through the
// gateway) and a Data Center site with a personal access token are connected (checked first: the
// check proves the identity), pulled and served; what each kind needs is validated by field; a token
// the site serves as anonymous is refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRED_SCOPES } from '../../producer/deployment.ts';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../../sim/index.ts';
import { expectedPageIds } from '../producer/helpers.ts';
import { cleanUpSources, sourcesEnv, sourceUntil, startPipeline, type Pipeline } from './helpers.ts';

const SCOPES = REQUIRED_SCOPES.map((s) => s.scope);
let cloud: SimHandle;
let dc: SimHandle;
let gateway: GatewayHandle;
let p: Pipeline;

beforeAll(async () => {
  cloud = await startSim({ seed: 41, spaces: 2, pages: 20, badCredentials: 'anonymous' });
  cloud.admin.setUser('bot@example.com', { token: 'scoped-bot-token', scopes: SCOPES });
  dc = await startSim({
    seed: 42,
    spaces: 2,
    pages: 20,
    deployment: 'data-center',
    contextPath: '/confluence',
  });
  gateway = await startGateway({ sites: [cloud] });
  p = await startPipeline(sourcesEnv('src-deploy', { CONFLUENCE_GATEWAY_URL: gateway.url }));
});
afterAll(async () => {
  await p?.stop();
  await gateway?.close();
  await cloud?.close();
  await dc?.close();
  if (p) await cleanUpSources(p.env);
});

describe('sources API: the deployment choice', () => {
  it.each([
    [
      'a Cloud site with a scoped token, through the gateway',
      () => ({
        baseUrl: cloud.baseUrl,
        email: 'bot@example.com',
        token: 'scoped-bot-token',
        deployment: { kind: 'cloud-scoped' },
      }),
      () => cloud,
      '',
    ],
    [
      'a Data Center site with a personal access token, under its context path',
      () => ({ baseUrl: dc.baseUrl, email: 'sim', token: dc.token, deployment: { kind: 'data-center' } }),
      () => dc,
      '-confluence',
    ],
  ])(
    'connects %s, derives the id from the site, pulls it and serves it',
    async (_what, input, site, suffix) => {
      const r = await p.api('POST', '/api/sources', { ...input(), schedule: { paused: true } });
      expect(r.status, r.text).toBe(201);
      const id = `127-0-0-1-${new URL(site().baseUrl).port}${suffix}`;
      expect(r.body).toMatchObject({ id, deployment: input().deployment });
      expect((await p.api('POST', `/api/sources/${id}/runs`)).status).toBeLessThan(300);
      const live = await sourceUntil(p.api, id, (s) => s.live !== null, `${id} live`);
      expect(live.live.pages.total).toBe(expectedPageIds(site()).length);
    },
  );

  it('refuses a token the site treats as anonymous, naming the problem', async () => {
    const r = await p.api('POST', '/api/sources', {
      id: 'anonymous-token',
      baseUrl: cloud.baseUrl,
      email: cloud.email,
      token: 'an-expired-api-token',
    });
    expect(r.status).toBe(422);
    expect(r.body.error).toMatch(/as the anonymous user/);
  });

  it('a scoped token given as a classic one is refused with the hint to choose cloud-scoped', async () => {
    const r = await p.api('POST', '/api/sources', {
      id: 'wrong-kind',
      baseUrl: cloud.baseUrl,
      email: 'bot@example.com',
      token: 'scoped-bot-token',
    });
    expect(r.status).toBe(422);
    expect(r.body.hint).toContain('cloud-scoped');
  });

  it.each([
    [
      'a cloud id for another kind than cloud-scoped',
      { email: 'a@b.co', deployment: { kind: 'cloud', cloudId: '6f1c3f0e-0000-4000-8000-000000000000' } },
      /cloud id is only for kind cloud-scoped/,
    ],
    ['no email for a Cloud kind', { email: '', deployment: { kind: 'cloud-scoped' } }, /email/],
    ['an unknown kind', { email: 'a@b.co', deployment: { kind: 'server' } }, /cloud-scoped/],
  ])('refuses %s, naming the field', async (_what, fields, message) => {
    const r = await p.api('POST', '/api/sources', {
      domain: 'acme.atlassian.net',
      token: 'x'.repeat(20),
      ...fields,
    });
    expect(r.status).toBe(400);
    expect(r.text).toMatch(message);
  });
});
