// The stack watches the server process itself, not the wrapper that started it: Elasticsearch runs under
// runuser and a launcher JVM, and when that wrapper dies (SIGKILL, the OOM killer) the server must still
// be seen by `status`, kept by `up` and stopped by `down`. A real wrapper and server process stand in.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';

it('a server whose wrapper was SIGKILLed is still running, ours, and stopped by stopServer', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cks-stack-test-'));
  process.env.STACK_DIR = dir;
  const p = await import('../../scripts/stack/processes.ts');
  const home = path.join(dir, 'fake');
  mkdirSync(home, { recursive: true });
  const server = path.join(home, 'server.mjs');
  const wrapper = path.join(home, 'wrapper.mjs');
  // Like Elasticsearch's -p: the server writes its own pid.
  writeFileSync(
    server,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(p.serverPidFile('fake'))}, String(process.pid));\nsetInterval(() => {}, 1000);\n`,
  );
  writeFileSync(
    wrapper,
    `import { spawn } from 'node:child_process';\nspawn(process.execPath, [${JSON.stringify(server)}], { stdio: 'ignore' });\nsetInterval(() => {}, 1000);\n`,
  );
  const wrapperPid = p.launch('fake', process.execPath, [wrapper], {}, home);
  for (let i = 0; i < 100 && !existsSync(p.serverPidFile('fake')); i++) await sleep(100);
  await sleep(100);
  const serverPid = p.runningPid('fake');
  expect(serverPid).toBeDefined();
  expect(serverPid).not.toBe(wrapperPid);

  process.kill(wrapperPid, 'SIGKILL');
  for (let i = 0; i < 50 && p.alive(wrapperPid); i++) await sleep(100);
  expect(p.alive(wrapperPid)).toBe(false);
  // The wrapper is gone; the server is not, and it is still the one the stack knows.
  expect(p.alive(serverPid!)).toBe(true);
  expect(p.runningPid('fake')).toBe(serverPid);

  expect(await p.stopServer('fake')).toBe(serverPid);
  expect(p.alive(serverPid!)).toBe(false);
  expect(p.runningPid('fake')).toBeUndefined();
});
