// `producer check` and every way credentials or the domain can be wrong, against the simulator and
// small stand-in servers; the last block runs the real CLI to see the exit codes scripts rely on.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../lib/errors.ts';
import { checkAccess } from '../../producer/check.ts';
import { producerConfig } from '../../producer/config.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { captureLogger, fastRetries, simEnv } from './helpers.ts';

let sim: SimHandle;
let html: Server;
let htmlUrl: string;
beforeAll(async () => {
  sim = await startSim({ seed: 3, spaces: 4, pages: 50 });
  html = createServer((req, res) => {
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: 'https://id.atlassian.com/login' }).end();
    } else if (req.url?.includes('/missing/')) {
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not found</html>');
    } else {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<html><body>Welcome to our intranet</body></html>');
    }
  });
  await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
  htmlUrl = `http://127.0.0.1:${(html.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.close();
  await new Promise((r) => html.close(r));
});

async function checkError(env: Record<string, string>): Promise<UserError> {
  const { log } = captureLogger();
  const err = await checkAccess(producerConfig({ ...fastRetries, ...env }), log).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe('producer check', () => {
  it('proves the credentials can read spaces and pages', async () => {
    const r = await checkAccess(producerConfig(simEnv(sim)), captureLogger().log);
    expect(r.spacesSeen).toBe(4);
    expect(r.pagesReadableIn).toEqual(expect.any(String));
  });

  it('401: the token is invalid or not this email’s', async () => {
    const err = await checkError(simEnv(sim, { CONFLUENCE_API_TOKEN: 'not-the-right-token' }));
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toMatch(/rejected the credentials of sim@example.com \(401\)/);
    expect(err.hint).toMatch(/api-tokens/);
    const other = await checkError(simEnv(sim, { CONFLUENCE_EMAIL: 'limited@example.com' }));
    expect(other.message).toContain('401');
  });

  it('403: the account has no Confluence access', async () => {
    const err = await checkError(
      simEnv(sim, { CONFLUENCE_EMAIL: 'noaccess@example.com', CONFLUENCE_API_TOKEN: 'noaccess-api-token' }),
    );
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toMatch(/refused noaccess@example.com \(403\)/);
    expect(err.hint).toMatch(/product access/);
    expect(err.hint).toMatch(/the token is wrong/);
  });

  it('nothing readable: the account sees no space', async () => {
    const keys = sim.admin.info().spaces.map((s) => s.key);
    sim.admin.setUser('limited@example.com', { hiddenSpaceKeys: keys });
    const err = await checkError(
      simEnv(sim, { CONFLUENCE_EMAIL: 'limited@example.com', CONFLUENCE_API_TOKEN: 'limited-api-token' }),
    );
    expect(err.exitCode).toBe(ExitCode.auth);
    expect(err.message).toMatch(/can read no Confluence space/);
  });

  it('DNS failure: the domain does not exist', async () => {
    const err = await checkError({
      CONFLUENCE_DOMAIN: 'nonexistent.invalid',
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN: 'x'.repeat(24),
    });
    expect(err.exitCode).toBe(ExitCode.network);
    expect(err.message).toMatch(/nonexistent\.invalid does not exist/);
    expect(err.hint).toMatch(/CONFLUENCE_DOMAIN/);
  });

  it('nothing listening: a network error', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const err = await checkError({
      CONFLUENCE_BASE_URL: `http://127.0.0.1:${port}`,
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN: 'x'.repeat(24),
      PRODUCER_MAX_RETRIES: '0',
    });
    expect(err.exitCode).toBe(ExitCode.network);
    expect(err.message).toMatch(/Cannot reach Confluence.*ECONNREFUSED/);
  });

  it.each([
    ['an HTML page where JSON is expected', ''],
    ['a 404 HTML page', '/missing'],
    ['a redirect to a login page', '/redirect'],
  ])('not Confluence: %s', async (_what, path) => {
    const err = await checkError({
      CONFLUENCE_BASE_URL: `${htmlUrl}${path}`,
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN: 'x'.repeat(24),
    });
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(/does not look like a Confluence site/);
  });
});

describe('producer check CLI exit codes', () => {
  const run = async (env: Record<string, string>) => {
    const r = await promisify(execFile)(
      'node_modules/.bin/node',
      ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'producer', 'check'],
      {
        env: { PATH: process.env.PATH, ...fastRetries, ...env },
      },
    ).then(
      (out) => ({ code: 0, ...out }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    return { code: r.code, out: r.stdout + r.stderr };
  };

  it('0 when the credentials work, 2 on a bad domain, 3 on a bad token, 4 on an unknown domain; the token never printed', async () => {
    const ok = await run(simEnv(sim));
    expect(ok.code).toBe(ExitCode.ok);
    expect(ok.out).toMatch(/^ok: signed in to http:\/\/127\.0\.0\.1:\d+ as Sim <sim@example.com>/);

    const badDomain = await run({
      CONFLUENCE_DOMAIN: 'https://acme.atlassian.net/wiki',
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN: 'secret-token-123456',
    });
    expect(badDomain.code).toBe(ExitCode.config);
    expect(badDomain.out).toContain('CONFLUENCE_DOMAIN=acme.atlassian.net');

    const secret = 'wrong-secret-token-987654';
    const badToken = await run(simEnv(sim, { CONFLUENCE_API_TOKEN: secret }));
    expect(badToken.code).toBe(ExitCode.auth);
    expect(badToken.out).toMatch(/hint: .*api-tokens/);
    for (const out of [badToken.out, badDomain.out]) {
      expect(out).not.toContain(secret);
      expect(out).not.toContain(Buffer.from(`sim@example.com:${secret}`).toString('base64'));
    }

    const dns = await run({
      CONFLUENCE_DOMAIN: 'nonexistent.invalid',
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN: 'secret-token-123456',
    });
    expect(dns.code).toBe(ExitCode.network);
  }, 120_000); // four CLI processes: each loads the whole CLI, slow on a busy machine
});
