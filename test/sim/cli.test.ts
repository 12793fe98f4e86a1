import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('sim serve', () => {
  it('prints exactly one JSON line when ready, serves, and stops on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['cli.ts', 'sim', 'serve', '--port', '0', '--pages', '40', '--seed', '3'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines: string[] = [];
    const rl = createInterface({ input: child.stdout });
    rl.on('line', (l) => lines.push(l));
    await once(rl, 'line');
    const ready = JSON.parse(lines[0]!) as { baseUrl: string; email: string; token: string; pages: number };
    expect(Object.keys(ready).sort()).toEqual(['baseUrl', 'email', 'pages', 'token']);
    expect(ready.pages).toBe(40);
    const res = await fetch(`${ready.baseUrl}/wiki/api/v2/pages?limit=250&status=current`, {
      headers: { authorization: `Basic ${Buffer.from(`${ready.email}:${ready.token}`).toString('base64')}` },
    });
    expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(40);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
  });

  it('with --tls prints the certificate to trust, and serves HTTPS signed by it', async () => {
    const child = spawn(process.execPath, ['cli.ts', 'sim', 'serve', '--tls', '--pages', '5'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as { baseUrl: string; ca: string };
    expect(ready.baseUrl).toMatch(/^https:/);
    expect(ready.ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const { Agent, request } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: ready.ca } });
    const res = await request(`${ready.baseUrl}/__sim/state`, { dispatcher });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await dispatcher.close();
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it('rejects a bad fault spec with a message', async () => {
    const child = spawn(process.execPath, ['cli.ts', 'sim', 'serve', '--faults', '500=7'], { cwd: root });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const [code] = await once(child, 'exit');
    expect(code).not.toBe(0);
    expect(stderr).toContain('RATE in [0, 1]');
  });
});
