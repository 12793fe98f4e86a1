// `producer check` for each deployment against the simulator: Cloud with a classic token, Cloud with
// a scoped token through the gateway, Data Center with a personal access token (with and without a
// context path); the identity it proves (never anonymous, never another account); how wrong
// credentials, missing scopes and wrong URLs are told; and a real proxy process in between.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../lib/errors.ts';
import { checkAccess } from '../../producer/check.ts';
import { producerConfig } from '../../producer/config.ts';
import type { PageRef } from '../../producer/confluence-source.ts';
import { openSite } from '../../producer/site.ts';
import { startGateway, startSim, type GatewayHandle, type SimHandle } from '../../sim/index.ts';
import { startProxy, type ProxyHandle } from '../stack/proxy.ts';
import { captureLogger, expectedPageIds, fastRetries } from './helpers.ts';

const SCOPES = ['read:confluence-user', 'read:space:confluence', 'read:page:confluence', 'search:confluence'];
let cloud: SimHandle;
let dc: SimHandle;
let gateway: GatewayHandle;
let proxy: ProxyHandle;

beforeAll(async () => {
  cloud = await startSim({ seed: 21, spaces: 3, pages: 30 });
  cloud.admin.setUser('scoped@example.com', { token: 'scoped-api-token', scopes: SCOPES });
  cloud.admin.setUser('narrow@example.com', { token: 'narrow-api-token', scopes: SCOPES.slice(0, 2) });
  dc = await startSim({
    seed: 22,
    spaces: 3,
    pages: 30,
    deployment: 'data-center',
    contextPath: '/confluence',
  });
  gateway = await startGateway({ sites: [cloud] });
  proxy = await startProxy({ auth: 'proxyuser:proxy-secret-pass' });
});
afterAll(async () => {
  await gateway.close();
  await cloud.close();
  await dc.close();
  await proxy.stop();
});

const classic = () => ({
  CONFLUENCE_BASE_URL: cloud.baseUrl,
  CONFLUENCE_EMAIL: cloud.email,
  CONFLUENCE_API_TOKEN: cloud.token,
});
const scoped = (email = 'scoped@example.com', token = 'scoped-api-token') => ({
  CONFLUENCE_DEPLOYMENT: 'cloud-scoped',
  CONFLUENCE_BASE_URL: cloud.baseUrl,
  CONFLUENCE_GATEWAY_URL: gateway.url,
  CONFLUENCE_EMAIL: email,
  CONFLUENCE_API_TOKEN: token,
});
const dataCenter = (extra: Record<string, string> = {}) => ({
  CONFLUENCE_DEPLOYMENT: 'data-center',
  CONFLUENCE_BASE_URL: dc.baseUrl,
  CONFLUENCE_API_TOKEN: dc.token,
  ...extra,
});

const check = (env: Record<string, string>) =>
  checkAccess(producerConfig({ ...fastRetries, ...env }), captureLogger().log);

async function checkError(env: Record<string, string>): Promise<UserError> {
  const err = await check(env).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('check per deployment: it proves who it signed in as', () => {
  it('Cloud, classic token: on the site itself', async () => {
    const r = await check(classic());
    expect(r.account).toBe('Sim <sim@example.com>');
    expect(r.apiUrl).toBe(cloud.baseUrl);
    expect(r.spacesSeen).toBe(3);
  });

  it('Cloud, scoped token: through the gateway, the cloud id discovered from the site; source id from the site', async () => {
    const before = gateway.requests;
    const r = await check(scoped());
    expect(r.account).toBe('Scoped <scoped@example.com>');
    expect(r.apiUrl).toBe(`${gateway.url}/ex/confluence/${cloud.cloudId}`);
    expect(r.pagesReadableIn).toEqual(expect.any(String));
    expect(gateway.requests).toBeGreaterThan(before);
    expect(producerConfig(scoped()).sourceId).toBe(`127-0-0-1-${new URL(cloud.baseUrl).port}`);
  });

  it('a scoped token on the site itself: 401, and the hint names the gateway deployment', async () => {
    const err = await checkError({
      ...classic(),
      CONFLUENCE_EMAIL: 'scoped@example.com',
      CONFLUENCE_API_TOKEN: 'scoped-api-token',
    });
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toContain('(401)');
    expect(err.hint).toContain('CONFLUENCE_DEPLOYMENT=cloud-scoped');
  });

  it('a scoped token for a site that tells no cloud id (not Atlassian Cloud): exit 2, CONFLUENCE_CLOUD_ID named', async () => {
    const err = await checkError({ ...scoped(), CONFLUENCE_BASE_URL: dc.baseUrl });
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(/did not tell its cloud id: GET \/_edge\/tenant_info answered 404/);
    expect(err.hint).toContain('CONFLUENCE_CLOUD_ID');
    const r = await check({
      ...scoped(),
      CONFLUENCE_BASE_URL: 'http://127.0.0.1:9',
      CONFLUENCE_CLOUD_ID: cloud.cloudId,
    });
    expect(r.apiUrl).toBe(`${gateway.url}/ex/confluence/${cloud.cloudId}`);
  });

  it('a scoped token without a scope the pull needs: the scope is named', async () => {
    const err = await checkError(scoped('narrow@example.com', 'narrow-api-token'));
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toMatch(/lacks the scope read:page:confluence/);
    expect(err.hint).toContain(SCOPES.join(', '));
  });

  it('Data Center with a personal access token under a context path; page URLs open there', async () => {
    const r = await check(dataCenter({ CONFLUENCE_USERNAME: 'sim' }));
    expect(r.account).toBe('Sim <sim>');
    expect(r.apiUrl).toBe(dc.baseUrl);
    const site = await openSite(producerConfig(dataCenter()), {
      connections: 1,
      retry: producerConfig(dataCenter()).retry,
      log: captureLogger().log,
    });
    const [space] = (await site.spaces().next()).value!;
    const refs = (await site.pageRefs(space!).next()).value!;
    const pages = await site.pagesById(refs.slice(0, 10).map((r: PageRef) => r.id));
    await site.close();
    expect(pages.length).toBeGreaterThan(0);
    for (const p of pages.slice(0, 5)) {
      expect(p.url.startsWith(`${dc.baseUrl}/`)).toBe(true);
      expect((await fetch(p.url)).status, p.url).toBe(200);
    }
  });

  it('Data Center: a wrong PAT on a site with anonymous access is refused as anonymous', async () => {
    dc.admin.configure({ badCredentials: 'anonymous' });
    try {
      const err = await checkError(dataCenter({ CONFLUENCE_API_TOKEN: 'not-the-pat-at-all' }));
      expect(err.exitCode).toBe(ExitCode.auth);
      expect(err.message).toMatch(/treats the personal access token as the anonymous user/);
      expect(err.hint).toMatch(/Personal Access Tokens/);
    } finally {
      dc.admin.configure({ badCredentials: '401' });
    }
  });

  it('Data Center: the token of another account than CONFLUENCE_USERNAME is refused', async () => {
    const err = await checkError(dataCenter({ CONFLUENCE_USERNAME: 'alice' }));
    expect(err.message).toMatch(/signed the token in as Sim <sim>, not alice/);
    expect(err.hint).toContain('CONFLUENCE_USERNAME');
  });

  it('Cloud: a wrong token on a site with anonymous access is refused as anonymous', async () => {
    cloud.admin.configure({ badCredentials: 'anonymous' });
    try {
      const err = await checkError({ ...classic(), CONFLUENCE_API_TOKEN: 'a-wrong-api-token' });
      expect(err.exitCode).toBe(ExitCode.auth);
      expect(err.message).toMatch(/treats the API token of sim@example.com as the anonymous user/);
      expect(err.hint).toMatch(/api-tokens/);
    } finally {
      cloud.admin.configure({ badCredentials: '401' });
    }
  });

  it('Cloud: a site that answers a wrong token with 403 — the hint says the token may be wrong', async () => {
    cloud.admin.configure({ badCredentials: '403' });
    try {
      const err = await checkError({ ...classic(), CONFLUENCE_API_TOKEN: 'a-wrong-api-token' });
      expect(err.exitCode).toBe(ExitCode.auth);
      expect(err.message).toContain('(403)');
      expect(err.hint).toMatch(/the token is wrong .*api-tokens/);
    } finally {
      cloud.admin.configure({ badCredentials: '401' });
    }
  });
});

describe('a wrong base URL', () => {
  it('…/nope: "no Confluence REST API at this URL", exit 2, after no retries', async () => {
    const before = cloud.admin.requests;
    const err = await checkError({ ...classic(), CONFLUENCE_BASE_URL: `${cloud.baseUrl}/nope` });
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(
      /^No Confluence REST API at this URL: GET \/nope\/wiki\/rest\/api\/user\/current answered 404/,
    );
    expect(err.hint).toContain(`${cloud.baseUrl}/nope`);
    expect(cloud.admin.requests - before).toBe(1);
  });

  it('the CLI exits 2 with the URL in its message', async () => {
    const r = await promisify(execFile)(
      'node_modules/.bin/node',
      ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'producer', 'check'],
      {
        env: {
          PATH: process.env.PATH,
          ...fastRetries,
          ...classic(),
          CONFLUENCE_BASE_URL: `${cloud.baseUrl}/nope`,
        },
      },
    ).then(
      () => ({ code: 0, out: '' }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(r.code).toBe(ExitCode.config);
    expect(r.out).toContain('No Confluence REST API at this URL');
    expect(r.out).toContain(`${cloud.baseUrl}/nope`);
  });
});

describe('through a proxy (HTTPS_PROXY / HTTP_PROXY / NO_PROXY)', () => {
  it.each([
    ['Cloud classic', classic, () => [new URL(cloud.baseUrl).host]],
    ['Cloud scoped', () => scoped(), () => [new URL(cloud.baseUrl).host, new URL(gateway.url).host]],
    ['Data Center', () => dataCenter(), () => [new URL(dc.baseUrl).host]],
  ])(
    '%s: every Confluence request goes through the proxy, with its credentials',
    async (_kind, env, hosts) => {
      proxy.seen.length = 0;
      const { log, lines } = captureLogger();
      const cfg = producerConfig({ ...fastRetries, ...env(), HTTP_PROXY: proxy.url });
      await checkAccess(cfg, log);
      const tunnels = new Set(
        proxy.seen.filter((s) => s.method === 'CONNECT' && s.status === 200).map((s) => s.target),
      );
      expect([...tunnels].sort()).toEqual(hosts().sort());
      expect(lines.join('\n')).not.toContain('proxy-secret-pass');
    },
  );

  it('NO_PROXY bypasses it; a proxy that refuses the credentials is a network error naming the proxy variables', async () => {
    proxy.seen.length = 0;
    await check({ ...classic(), HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
    expect(proxy.seen).toEqual([]);
    const err = await checkError({
      ...classic(),
      HTTP_PROXY: proxy.url.replace('proxy-secret-pass', 'wrong-pass'),
      PRODUCER_MAX_RETRIES: '0',
    });
    expect(err.exitCode).toBe(ExitCode.network);
    expect(err.hint).toContain('HTTPS_PROXY');
    expect(`${err.message} ${err.hint}`).not.toContain('proxy-secret-pass');
  });
});

describe('Data Center paging', () => {
  it.each([0, 200, 201, 450])(
    'the source lists exactly %i pages of a one-space site, following the capped next links',
    async (n) => {
      const site = await startSim({ seed: 23, spaces: 1, pages: n, deployment: 'data-center' });
      try {
        const cfg = producerConfig({
          ...fastRetries,
          CONFLUENCE_DEPLOYMENT: 'data-center',
          CONFLUENCE_BASE_URL: site.baseUrl,
          CONFLUENCE_API_TOKEN: site.token,
        });
        const source = await openSite(cfg, { connections: 1, retry: cfg.retry, log: captureLogger().log });
        const listed: string[] = [];
        for await (const batch of source.spaces()) {
          for (const space of batch)
            for await (const refs of source.pageRefs(space)) listed.push(...refs.map((r) => r.id));
        }
        const ids = (await source.pagesById(listed)).map((p) => p.id);
        const requests = source.stats.requests;
        await source.close();
        expect(ids.sort()).toEqual(expectedPageIds(site));
        // one space listing, ceil(n / 200) content listings without bodies (capped at 200 with an
        // expansion; one when the space is empty), then one request per body
        expect(requests).toBe(1 + Math.max(1, Math.ceil(n / 200)) + n);
      } finally {
        await site.close();
      }
    },
  );
});

describe('HTTPS through HTTPS_PROXY, trusting a corporate CA', () => {
  it('a Data Center site with its own certificate, reached through the proxy by the CLI', async () => {
    const site = await startSim({
      seed: 24,
      spaces: 2,
      pages: 10,
      deployment: 'data-center',
      contextPath: '/wiki',
      tls: true,
    });
    const dir = mkdtempSync(join(tmpdir(), 'cks-ca-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, site.ca!);
    proxy.seen.length = 0;
    try {
      const r = await promisify(execFile)(
        'node_modules/.bin/node',
        ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'producer', 'check'],
        {
          env: {
            PATH: process.env.PATH,
            NODE_EXTRA_CA_CERTS: ca,
            ...fastRetries,
            CONFLUENCE_DEPLOYMENT: 'data-center',
            CONFLUENCE_BASE_URL: site.baseUrl,
            CONFLUENCE_API_TOKEN: site.token,
            HTTPS_PROXY: proxy.url,
          },
        },
      );
      expect(r.stdout).toMatch(/^ok: signed in to https:\/\/127\.0\.0\.1:\d+\/wiki as Sim <sim>/);
      expect(proxy.seen.filter((s) => s.method === 'CONNECT').map((s) => s.target)).toContain(
        new URL(site.baseUrl).host,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await site.close();
    }
  });
});
