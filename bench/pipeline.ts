// What the end-to-end benchmarks share: the simulator and each stage as a process of its own, started
// exactly as deployed (`npm run <stage>`'s node flags, read from package.json), a fresh set of topics and
// indices per pipeline, the wait for a run to go live, and what /proc says about each process.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { Agent, request } from 'undici';
import { servicesConfig, type ServicesConfig } from '../lib/config.ts';
import { isDecided, isFlipped, type RunState } from '../indexer/completion.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { cleanUp } from '../test/indexer/fixtures.ts';

export const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const scripts = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> })
  .scripts;

/** The arguments after `node` in `npm run <name>` ("node --flags cli.ts <name>"), plus `extra`. */
export function scriptArgs(name: 'producer' | 'transformer' | 'indexer', ...extra: string[]): string[] {
  const [, ...args] = scripts[name]!.split(/\s+/);
  return [...args, ...extra];
}

/** A child process whose last stderr lines are kept, to say why it died. */
export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The last 2,000 characters it wrote to stderr. */
  tail(): string;
  stop(): Promise<void>;
}

export function startProcess(name: string, args: string[], env: NodeJS.ProcessEnv, stdout = false): Proc {
  const child = spawn(node, args, { cwd: root, env, stdio: ['ignore', stdout ? 'pipe' : 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && code !== null && signal !== 'SIGTERM') console.error(`${name} exited (${code}): ${tail}`);
  });
  return {
    name,
    child,
    pid: child.pid!,
    tail: () => tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A stage (transformer or indexer) as `npm run <name>` starts it. */
export const startStage = (name: 'transformer' | 'indexer', env: NodeJS.ProcessEnv): Proc =>
  startProcess(name, scriptArgs(name), env);

export interface SimProcess extends Proc {
  baseUrl: string;
  email: string;
  token: string;
  pages: number;
  /** The certificate's PEM with `--tls`. */
  ca?: string;
  /** The simulator's own counters (GET /__sim/state). */
  state(): Promise<{ requests: number; pages: number }>;
}

/** `cli.ts sim serve <args>` as its own process (its CPU and memory are not the benchmark's). */
export async function startSimProcess(args: string[]): Promise<SimProcess> {
  const proc = startProcess(
    'sim',
    ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'sim', 'serve', ...args],
    process.env,
    true,
  );
  const lines = createInterface({ input: proc.child.stdout! });
  const [line] = (await Promise.race([
    once(lines, 'line'),
    once(proc.child, 'exit').then(() => {
      throw new Error(`the simulator exited before it was ready: ${proc.tail()}`);
    }),
  ])) as [string];
  lines.close();
  const ready = JSON.parse(line) as { baseUrl: string; email: string; token: string; pages: number; ca?: string };
  // The simulator's self-signed certificate is the only one this process's requests need to trust.
  const dispatcher = new Agent(ready.ca ? { connect: { ca: ready.ca } } : {});
  return {
    ...proc,
    ...ready,
    async state() {
      const res = await request(`${ready.baseUrl}/__sim/state`, { dispatcher });
      return (await res.body.json()) as { requests: number; pages: number };
    },
    async stop() {
      await proc.stop();
      await dispatcher.close();
    },
  };
}

/** A pipeline's own topics, indices and consumer groups (named after `id`) against `sim`. */
export function pipelineEnv(id: string, sim: Pick<SimProcess, 'baseUrl' | 'email' | 'token'>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: 'bench',
    TOPIC_RAW_PAGES: `${id}.raw`,
    TOPIC_HTML_PAGES: `${id}.html`,
    TOPIC_DEAD_LETTER: `${id}.dead-letter`,
    TOPIC_RUNS: `${id}.runs`,
    INDEX_PREFIX: id,
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  };
}

export const benchId = (name: string) => `bench-${name}-${randomBytes(3).toString('hex')}`;

/** Removes a pipeline's topics and indices. */
export const removePipeline = (env: NodeJS.ProcessEnv) => cleanUp(servicesConfig(env)).catch(() => {});

/** Waits until the indexer has decided `runId`; throws unless it flipped, or when a stage died. */
export async function waitLive(
  es: Client,
  services: ServicesConfig,
  runId: string,
  stages: Proc[],
  every = 250,
): Promise<RunState> {
  const store = createRunStore(es, services.indexPrefix);
  for (;;) {
    const state = await store.get(runId).catch(() => null);
    if (state && isDecided(state)) {
      if (!isFlipped(state)) throw new Error(`the run was ${state.status}: ${state.reason}`);
      return state;
    }
    for (const stage of stages)
      if (stage.child.exitCode !== null) throw new Error(`the ${stage.name} exited: ${stage.tail()}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Peak resident set of a process (VmHWM), MB. */
export const peakMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14 and 15)
}

/** The 1-minute load average, for the record beside every figure (the machine is shared). */
export const load = () => loadavg()[0]!.toFixed(1);

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
