// The local stack's process plumbing: where its files live, how its servers are installed (Maven),
// launched detached with a pid file, recognised as ours later, and waited for. local-stack.ts and
// secure-stack.ts describe the servers; this module only runs them.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export interface Server {
  name: string;
  port: number;
  /** The variable that moves it to another port (named when its port is taken). */
  portVariable: string;
  endpoint: string;
  ready(): Promise<boolean>;
  /** Downloads what it runs, when not there yet (a server made of project files has nothing to fetch). */
  install?(): void;
  start(): number;
}

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Can every user walk down to `dir`? Elasticsearch runs as its own user when we are root. */
function traversableByAll(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

// The stack lives in the project's git-ignored .stack; as root inside a folder other users cannot enter,
// it moves to a per-project folder under /var/tmp instead, so Elasticsearch's own user can reach it.
export const stackDir = path.resolve(
  process.env.STACK_DIR ??
    (process.getuid?.() === 0 && !traversableByAll(projectRoot)
      ? path.join(
          '/var/tmp',
          `cks-stack-${createHash('sha1').update(projectRoot).digest('hex').slice(0, 10)}`,
        )
      : path.join(projectRoot, '.stack')),
);
export const distDir = path.join(stackDir, 'dist');
export function port(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(
      `${variable}=${raw} is not a TCP port: use a whole number from 1 to 65535, e.g. ${fallback}`,
    );
  }
  return n;
}

export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd} could not start (${r.error.message}); is it installed and on PATH?`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

export function mvn(args: string[]): void {
  run('mvn', ['-q', '-B', ...args], { cwd: path.join(projectRoot, 'scripts', 'stack') });
}

/** A JDK home: the variable if set, else the first installed JDK of at least `minMajor`. */
export function javaHome(variable: string, minMajor: number): string {
  const fromEnv = process.env[variable];
  if (fromEnv) return fromEnv;
  const candidates = existsSync('/usr/lib/jvm')
    ? readdirSync('/usr/lib/jvm').map((d) => path.join('/usr/lib/jvm', d))
    : [];
  if (process.env.JAVA_HOME) candidates.unshift(process.env.JAVA_HOME);
  for (const home of candidates) {
    const java = path.join(home, 'bin', 'java');
    if (!existsSync(java)) continue;
    const out = spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr ?? '';
    const m = /version "(\d+)/.exec(out);
    if (m && Number(m[1]) >= minMajor) return home;
  }
  throw new Error(`No JDK ${minMajor}+ found: install one or set ${variable} to its home`);
}

export function pidFile(name: string): string {
  return path.join(stackDir, name, 'pid');
}

/**
 * Where a server that forks writes the pid of the process doing the work (Elasticsearch's `-p`): that
 * process, not the wrapper we launched, is what must be watched and stopped, since it outlives a
 * wrapper killed by SIGKILL or the OOM killer.
 */
export function serverPidFile(name: string): string {
  return path.join(stackDir, name, 'server.pid');
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A pid from `file`, if that process still runs and is still ours (its command line names the stack). */
function ourPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(stackDir)) return undefined;
  } catch {
    // No /proc (macOS): trust the pid file.
  }
  return pid;
}

/** The running server's pid: the one it wrote itself if it did, else the one we launched. */
export function runningPid(name: string): number | undefined {
  return ourPid(serverPidFile(name)) ?? ourPid(pidFile(name));
}

/** SIGTERM to the server and to the group we launched, SIGKILL after 30 s; forgets both pids. */
export async function stopServer(name: string): Promise<number | undefined> {
  const server = ourPid(serverPidFile(name));
  const wrapper = ourPid(pidFile(name));
  const pids = [server, wrapper].filter((p): p is number => p !== undefined);
  const signal = (sig: NodeJS.Signals) => {
    if (server !== undefined && alive(server)) process.kill(server, sig);
    // The wrapper leads its own process group (detached): the group takes its children along.
    if (wrapper !== undefined && alive(wrapper)) process.kill(-wrapper, sig);
  };
  signal('SIGTERM');
  const deadline = Date.now() + 30_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(200);
  if (pids.some(alive)) signal('SIGKILL');
  rmSync(pidFile(name), { force: true });
  rmSync(serverPidFile(name), { force: true });
  return server ?? wrapper;
}

export function launch(
  name: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): number {
  rmSync(serverPidFile(name), { force: true });
  const log = openSync(path.join(stackDir, name, 'server.log'), 'a');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  if (child.pid === undefined)
    throw new Error(`${name} did not start; see ${path.join(stackDir, name, 'server.log')}`);
  writeFileSync(pidFile(name), String(child.pid));
  return child.pid;
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function waitReady(server: Server, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await server.ready()) return;
    if (!alive(pid)) {
      const log = path.join(stackDir, server.name, 'server.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
      throw new Error(`${server.name} exited while starting; last lines of ${log}:\n${tail}`);
    }
    await sleep(500);
  }
  throw new Error(
    `${server.name} did not answer on ${server.endpoint} within ${timeoutMs / 1000}s; see ${path.join(stackDir, server.name, 'server.log')}`,
  );
}

/**
 * Starts those of `servers` that are not running and waits until all answer; returns the names it
 * started. A port that answers but is not ours is refused: that is someone else's server.
 */
export async function startServers(servers: Server[], log: (line: string) => void): Promise<string[]> {
  const started: Array<{ server: Server; pid: number }> = []; // ours, whether just started or already up
  const startedNow: string[] = [];
  for (const server of servers) {
    mkdirSync(path.join(stackDir, server.name), { recursive: true });
    const pid = runningPid(server.name);
    if (pid !== undefined) {
      started.push({ server, pid });
      continue;
    }
    if (await server.ready()) {
      throw new Error(
        `Port ${server.port} already answers as ${server.name} but it is not this stack's; stop it or set ${server.portVariable}`,
      );
    }
    if (server.install) {
      log(`${server.name}: installing (first run downloads from Maven Central)`);
      server.install();
    }
    log(`${server.name}: starting`);
    started.push({ server, pid: server.start() });
    startedNow.push(server.name);
  }
  // The servers boot in parallel; waiting is what takes the time (and is instant when already up).
  await Promise.all(started.map(({ server, pid }) => waitReady(server, pid, 180_000)));
  for (const server of servers) log(`${server.name.padEnd(13)} ${server.endpoint}`);
  return startedNow;
}

/** Stops exactly the processes of `servers` this stack started (by their recorded pids). */
export async function stopServers(servers: Server[], log: (line: string) => void): Promise<void> {
  for (const server of [...servers].reverse()) {
    const pid = await stopServer(server.name);
    log(pid === undefined ? `${server.name}: not running` : `${server.name}: stopped (pid ${pid})`);
  }
}

/** What runs where; true when every server of `servers` is ours and answers. */
export async function serversStatus(servers: Server[], log: (line: string) => void): Promise<boolean> {
  let allUp = true;
  for (const server of servers) {
    const pid = runningPid(server.name);
    const answering = pid !== undefined && (await server.ready());
    allUp &&= answering;
    const state =
      pid === undefined ? 'stopped' : answering ? `running (pid ${pid})` : `starting or stuck (pid ${pid})`;
    log(`${server.name.padEnd(13)} ${state.padEnd(26)} ${server.endpoint}`);
  }
  log(`data: ${stackDir}`);
  return allUp;
}
