// Sources-service benchmark: N simulated sites of random size (in this process), connected through the
// API of one sources-service instance, with the transformer and the indexer — each of the three its own
// process, as deployed, so the service's peak RSS is its own — and the real local Kafka + registry +
// Elasticsearch beside them. Prints the
// time for every source to go live, the service's peak RSS, and the scheduler's missed slots and start
// lateness (from its /metrics) over the first pulls and the scheduled second ones.
//
//   node bench/sources.ts [--sources 200] [--min-pages 200] [--max-pages 2000] [--every 10m]
//                         [--concurrent 8] [--second-round true]
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { servicesConfig, pipelineNames } from '../lib/config.ts';
import { parseDuration } from '../lib/duration.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { newKeyText } from '../sources/secret-box.ts';
import { scriptCommand, scriptEnv, startProcess, startStage } from './pipeline.ts';

const { values: o } = parseArgs({
  options: {
    sources: { type: 'string', default: '200' },
    'min-pages': { type: 'string', default: '200' },
    'max-pages': { type: 'string', default: '2000' },
    every: { type: 'string', default: '10m' },
    concurrent: { type: 'string', default: '8' },
    'second-round': { type: 'string', default: 'true' },
  },
});
const count = Number(o.sources);
const everyMs = parseDuration(o.every!)!;
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Peak resident set of a process so far (VmHWM), in MB. */
const peakRssMb = (pid: number) =>
  Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024);

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name) && !l.startsWith('#'));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

async function main() {
  const id = `bench-src-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'bench-sources-'));
  writeFileSync(join(dir, 'key'), newKeyText());
  const adminToken = `bench-${Math.random().toString(36).slice(2)}-admin-token`;
  writeFileSync(join(dir, 'admin'), adminToken);
  const [apiPort, metricsPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...pipelineNames(id),
    TOPIC_SOURCES: `${id}.sources`,
    TOPIC_SOURCE_STATUS: `${id}.sources.status`,
    SOURCES_KEY_FILE: join(dir, 'key'),
    SOURCES_ADMIN_TOKEN_FILE: join(dir, 'admin'),
    SOURCES_PORT: String(apiPort),
    METRICS_PORT: String(metricsPort),
    SOURCES_MAX_CONCURRENT_PULLS: o.concurrent!,
    SOURCES_MAX_JITTER: o.every!,
    LOG_LEVEL: 'warn',
  };
  const quiet = createLogger('bench');
  quiet.level = 'error';
  // Each as its npm script starts it (environment and node flags), as deployed.
  const service = (name: 'transformer' | 'indexer') => startStage(name, { ...env, METRICS_PORT: '0' }).child;
  const sims: SimHandle[] = [];
  let totalPages = 0;
  for (let i = 0; i < count; i++) {
    const pages = Math.round(
      Number(o['min-pages']) + Math.random() * (Number(o['max-pages']) - Number(o['min-pages'])),
    );
    sims.push(await startSim({ seed: 1000 + i, spaces: Math.max(2, Math.round(pages / 150)), pages }));
    totalPages += sims.at(-1)!.pages;
  }
  say(`${count} simulated sites, ${totalPages} current pages`);
  const stages = [service('transformer'), service('indexer')];
  const { nodeFlags, args } = scriptCommand('sources');
  const { child } = startProcess('sources', [...nodeFlags, ...args], scriptEnv('sources', env), true);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => /API at/.test(d.toString()) && resolve());
    child.once('exit', () => reject(new Error('the sources service exited')));
  });
  const base = `http://127.0.0.1:${apiPort}/api`;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  const started = Date.now();
  // Connected eight at a time, as a busy admin console might.
  let next = 0;
  const connect = async () => {
    while (next < sims.length) {
      const i = next++;
      const sim = sims[i]!;
      const r = await api('POST', '/sources', {
        id: `site-${i}`,
        baseUrl: sim.baseUrl,
        email: sim.email,
        token: sim.token,
        schedule: { every: o.every },
      });
      if (r.status !== 201) throw new Error(`site-${i} not connected: ${JSON.stringify(r.body)}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, connect));
  const connectedS = (Date.now() - started) / 1000;
  say(`${count} sources connected through the API in ${connectedS.toFixed(1)} s (each checked first)`);

  // One list request per poll (it carries every source's live index); a failed poll is tried again.
  type Row = {
    id: string;
    live: unknown;
    status: { running: { startedAt: number } | null; lastRun: { status: string; startedAt: number } | null };
  };
  const poll = async (): Promise<Row[]> => {
    for (;;) {
      try {
        return (await api('GET', '/sources')).body as Row[];
      } catch (err) {
        say(`poll failed (${(err as Error).message}); again`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };
  const lastStart = (r: Row) => r.status.running?.startedAt ?? r.status.lastRun?.startedAt ?? 0;
  let lastReport = 0;
  const firstStart = new Map<string, number>();
  const allLiveS = await (async () => {
    for (;;) {
      const list = await poll();
      for (const r of list)
        if (!firstStart.has(r.id) && r.status.lastRun) firstStart.set(r.id, r.status.lastRun.startedAt);
      const live = list.filter((r) => r.live !== null).length;
      const failed = list.filter((r) => r.status.lastRun?.status === 'FAILED').length;
      if (Date.now() - lastReport > 15_000) {
        say(`${live}/${count} live, ${failed} failed pulls, ${((Date.now() - started) / 1000).toFixed(0)} s`);
        lastReport = Date.now();
      }
      if (live === count) return (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 5000));
    }
  })();
  say(`all ${count} live after ${allLiveS.toFixed(1)} s`);
  const rssAtLive = peakRssMb(child.pid!);

  // The scheduled second pulls: each source's next slot comes within one interval of its first start.
  if (o['second-round'] === 'true') {
    const deadline = started + 2 * everyMs + 120_000;
    for (;;) {
      const list = await poll();
      const second = list.filter((r) => lastStart(r) > (firstStart.get(r.id) ?? Infinity)).length;
      if (second === count || Date.now() > deadline) {
        say(`${second}/${count} sources pulled a second time on schedule`);
        break;
      }
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const result = {
    sources: count,
    pages: totalPages,
    every: o.every,
    maxConcurrentPulls: Number(o.concurrent),
    connectSeconds: Number(connectedS.toFixed(1)),
    allLiveSeconds: Number(allLiveS.toFixed(1)),
    pagesPerSecondToLive: Math.round(totalPages / allLiveS),
    peakRssMbAtAllLive: rssAtLive,
    peakRssMb: peakRssMb(child.pid!),
    pulls: metric(metrics, 'sources_pulls_total{status="SUCCEEDED"'),
    failedPulls: metric(metrics, 'sources_pulls_total{status="FAILED"'),
    missedSlots: metric(metrics, 'sources_missed_slots_total'),
    startLatenessSecondsSum: Math.round(metric(metrics, 'sources_start_lateness_seconds_sum')),
    startLatenessCount: metric(metrics, 'sources_start_lateness_seconds_count'),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);

  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  for (const stage of stages) {
    stage.kill('SIGTERM');
    await new Promise((r) => stage.once('exit', r));
  }
  for (const sim of sims) await sim.close();
  const cfg = servicesConfig(env);
  const es = createElasticsearch(cfg);
  await es.indices.delete({ index: `${id}-*` }, { ignore: [404] });
  await es.close();
  const admin = createKafka(cfg, 'bench-cleanup', quiet).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: (await admin.listTopics()).filter((t) => t.startsWith(id)) });
  await admin.disconnect();
}

await main();
