// What the end-to-end benchmarks share: the simulator and each stage as a process of its own, started
// exactly as deployed (`npm run <stage>`'s environment and node flags, read from package.json), a fresh set of topics and
// indices per pipeline, the wait for a run to go live, and what /proc says about each process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { Agent, request } from 'undici';
import { servicesConfig, type ServicesConfig, pipelineNames } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createKafka, type Admin } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { isDecided, isFlipped, type RunState } from '../indexer/completion.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { cleanUp } from '../test/indexer/fixtures.ts';

export const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const scripts = (
  JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }
).scripts;

export interface ScriptCommand {
  /** `NAME=value` words before `node` (the allocator's tunables). */
  env: Record<string, string>;
  /** node's own flags, before the script file. */
  nodeFlags: string[];
  /** The script file and its arguments, e.g. `cli.ts transformer`. */
  args: string[];
}

/** `npm run <name>` ("[NAME=value …] node [--flag …] cli.ts <name>"), taken apart. */
export function scriptCommand(name: 'producer' | 'transformer' | 'indexer' | 'sources'): ScriptCommand {
  const words = scripts[name]!.split(/\s+/);
  const at = words.indexOf('node');
  const rest = words.slice(at + 1);
  const file = rest.findIndex((w) => !w.startsWith('-'));
  return {
    env: Object.fromEntries(words.slice(0, at).map((w) => w.split(/=(.*)/s).slice(0, 2))),
    nodeFlags: rest.slice(0, file),
    args: rest.slice(file),
  };
}

/** The arguments after `node` in `npm run <name>`, plus `extra`. */
export function scriptArgs(name: 'producer' | 'transformer' | 'indexer', ...extra: string[]): string[] {
  const { nodeFlags, args } = scriptCommand(name);
  return [...nodeFlags, ...args, ...extra];
}

const warmed = new Set<string>();
/**
 * `env` with the variables `npm run <name>` sets, its compile cache filled for `nodeFlags` first (as the
 * image fills it when it is built, scripts/compile-cache.ts): a service that started on an empty cache
 * would hold the type stripper's memory for its whole life and measure a cold start.
 */
export function scriptEnv(
  name: 'producer' | 'transformer' | 'indexer' | 'sources',
  env: NodeJS.ProcessEnv,
  nodeFlags = scriptCommand(name).nodeFlags,
): NodeJS.ProcessEnv {
  const withScript = { ...env, ...scriptCommand(name).env };
  const key = `${withScript.NODE_COMPILE_CACHE} ${nodeFlags.join(' ')}`;
  if (withScript.NODE_COMPILE_CACHE && !warmed.has(key)) {
    // Without the benchmark's own variables (the memory probe writes its report when it is loaded).
    const plain = { ...withScript };
    delete plain.BENCH_MEMORY_FILE;
    execFileSync(node, [...nodeFlags, 'scripts/compile-cache.ts'], {
      cwd: root,
      env: plain,
      stdio: 'inherit',
    });
    warmed.add(key);
  }
  return withScript;
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
    if (code !== 0 && code !== null && signal !== 'SIGTERM')
      console.error(`${name} exited (${code}): ${tail}`);
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

/** A stage (transformer or indexer) as `npm run <name>` starts it; `nodeFlags` are added to node's. */
export const startStage = (
  name: 'transformer' | 'indexer',
  env: NodeJS.ProcessEnv,
  nodeFlags: string[] = [],
): Proc => {
  const flags = [...nodeFlags, ...scriptCommand(name).nodeFlags];
  return startProcess(name, [...flags, ...scriptCommand(name).args], scriptEnv(name, env, flags));
};

export interface SimProcess extends Proc {
  baseUrl: string;
  email: string;
  token: string;
  pages: number;
  /** The certificate's PEM with `--tls`. */
  ca?: string;
  /** The simulator's own counters and spaces (GET /__sim/state). */
  state(): Promise<{ requests: number; pages: number; spaces: { id: string; status: string }[] }>;
  /** One call of its admin API (sim/README.md), e.g. `admin('PUT', 'pages/123', { body })`. */
  admin(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
}

/** The simulated site a benchmark serves: `sim serve` flags (sim/README.md); the sim's defaults where unset. */
export interface SimSite {
  pages: number | string;
  spaces: number | string;
  seed?: number | string;
  /** A cost model (`--cost`), e.g. `realistic`. */
  cost?: string;
  tls?: boolean;
}

const simArgs = (site: SimSite): string[] => [
  ...(site.tls ? ['--tls'] : []),
  ...['--pages', String(site.pages), '--spaces', String(site.spaces)],
  ...(site.seed === undefined ? [] : ['--seed', String(site.seed)]),
  ...(site.cost === undefined ? [] : ['--cost', site.cost]),
];

/** `cli.ts sim serve` for `site` as its own process (its CPU and memory are not the benchmark's). */
export async function startSimProcess(site: SimSite): Promise<SimProcess> {
  const proc = startProcess(
    'sim',
    ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'sim', 'serve', ...simArgs(site)],
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
  const ready = JSON.parse(line) as {
    baseUrl: string;
    email: string;
    token: string;
    pages: number;
    ca?: string;
  };
  // The simulator's self-signed certificate is the only one this process's requests need to trust.
  const dispatcher = new Agent(ready.ca ? { connect: { ca: ready.ca } } : {});
  const admin: SimProcess['admin'] = async (method, path, body) => {
    const res = await request(`${ready.baseUrl}/__sim/${path}`, {
      method,
      dispatcher,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`sim ${method} ${path}: ${res.statusCode} ${text}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  return {
    ...proc,
    ...ready,
    admin,
    state: () => admin('GET', 'state') as ReturnType<SimProcess['state']>,
    async stop() {
      await proc.stop();
      await dispatcher.close();
    },
  };
}

/** A pipeline's own topics, indices and consumer groups (named after `id`) against `sim`. */
export function pipelineEnv(
  id: string,
  sim: Pick<SimProcess, 'baseUrl' | 'email' | 'token'>,
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: 'bench',
    ...pipelineNames(id),
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  };
}

export const benchId = (name: string) => `bench-${name}-${randomBytes(3).toString('hex')}`;

export interface Pipeline {
  services: ServicesConfig;
  es: Client;
  admin: Admin;
  stages: Proc[];
  groups: { transformer: string; indexer: string };
  /** CPU seconds the named stage's instances have used so far. */
  cpu(name: 'transformer' | 'indexer'): number;
  /** Waits until `runId` is flipped (throws if it was held or failed, or a stage died). */
  live(runId: string): Promise<RunState>;
  /** Stops the stages and removes the pipeline's topics and indices. */
  stop(): Promise<void>;
}

/**
 * The transformer and indexer instances of one pipeline, each its own process, resolved once every
 * instance is a member of its consumer group with partitions assigned: ready for work, as in production,
 * where the stages run all along and a pull does not wait for them to start.
 */
export async function startPipeline(
  env: NodeJS.ProcessEnv,
  instances = { transformer: 1, indexer: 1 },
  /** More node flags for every stage (e.g. `--cpu-prof`). */
  nodeFlags: string[] = [],
): Promise<Pipeline> {
  const services = servicesConfig(env);
  const groups = {
    transformer: `${services.indexPrefix}-transformer`,
    indexer: `${services.indexPrefix}-indexer`,
  };
  const stages = (['transformer', 'indexer'] as const).flatMap((name) =>
    Array.from({ length: instances[name] }, () => startStage(name, env, nodeFlags)),
  );
  const es = createElasticsearch(services);
  const admin = createKafka(services, 'bench', createLogger('bench')).admin();
  const stop = async () => {
    await Promise.all(stages.map((s) => s.stop()));
    await admin.disconnect();
    await es.close();
    await removePipeline(env);
  };
  try {
    await admin.connect();
    for (;;) {
      const { groups: described } = await admin.describeGroups([groups.transformer, groups.indexer]);
      const members = described.map((g) => (g.state === 'Stable' ? g.members.length : 0));
      if (members[0] === instances.transformer && members[1] === instances.indexer) break;
      for (const s of stages) if (s.child.exitCode !== null) throw new Error(`${s.name} exited: ${s.tail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    services,
    es,
    admin,
    stages,
    groups,
    cpu: (name) => stages.filter((s) => s.name === name).reduce((n, s) => n + cpuSeconds(s.pid), 0),
    live: (runId) => waitLive(es, services, runId, stages, 100),
    stop,
  };
}

export interface PullResult {
  /** Wall time of the whole process, start-up included. */
  seconds: number;
  /** The run's own duration, as it reports it (from its START to its END). */
  runSeconds: number;
  pages: number;
  requests: number;
}

/** One `npm run producer -- run` (as deployed, its own process) with `env`; throws unless it succeeded. */
export async function pullProcess(env: NodeJS.ProcessEnv): Promise<PullResult> {
  const started = performance.now();
  const producer = startProcess('producer', scriptArgs('producer', 'run'), scriptEnv('producer', env), true);
  let out = '';
  producer.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const [code] = (await once(producer.child, 'exit')) as [number];
  const seconds = (performance.now() - started) / 1000;
  const m = /SUCCEEDED in ([\d.]+) s: (\d+) pages .*? in (\d+) requests/.exec(out);
  if (code !== 0 || !m) throw new Error(`the producer failed (${code}): ${out}${producer.tail()}`);
  return { seconds, runSeconds: Number(m[1]), pages: Number(m[2]), requests: Number(m[3]) };
}

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

/**
 * The process ids of the Elasticsearch node the benchmark talks to (it says so itself) and of a local
 * Kafka broker (found by its main class): their CPU is part of what a run costs. On the shared stack
 * their CPU seconds include anyone else's work meanwhile; point ELASTICSEARCH_URL at a node of your own
 * for exact figures.
 */
export async function serverPids(es: Client): Promise<{ elasticsearch?: number; kafka?: number }> {
  const nodes = (await es.nodes.info({ node_id: '_local', metric: 'process' })).nodes;
  const found: { elasticsearch?: number; kafka?: number } = {};
  const esPid = Object.values(nodes)[0]?.process?.id;
  if (esPid !== undefined && existsSync(`/proc/${esPid}`)) found.elasticsearch = esPid;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('\0kafka.Kafka\0'))
        found.kafka = Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

/** The 1-minute load average, for the record beside every figure (the machine is shared). */
export const load = () => loadavg()[0]!.toFixed(1);

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
