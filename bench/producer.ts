// Producer benchmark: the simulator as its own process (its memory is not ours) with its realistic cost
// model (sim/README.md#cost-model), the real Kafka + registry beside it. Each scenario runs in a fresh child process so its
// peak RSS is its own. Prints pages/s into Kafka, requests/s and peak RSS; figures go to bench/README.md.
//
//   node bench/producer.ts [--pages 20000,100000] [--compression gzip,none] [--spaces 6] [--concurrency 4,8]
//                          [--cost realistic|none] [--latency-ms 0] [--rate-limit 0] [--tls]
//   (each run uses `npm run producer`'s node flags from package.json; BENCH_NODE_FLAGS adds more)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { servicesConfig, pipelineNames } from '../lib/config.ts';
import { createKafka } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { load, scriptCommand } from './pipeline.ts';

const node = process.execPath;
const root = new URL('..', import.meta.url).pathname;
/** How `npm run producer` starts (package.json): the benchmark measures what is deployed. */
const producer = scriptCommand('producer');
// Without the compile cache: the scenario's own file, a benchmark's, is compiled cold on every change
// (and loads the type stripper), so every run measures the same thing.
const scenarioEnv: NodeJS.ProcessEnv = { ...process.env, ...producer.env };
delete scenarioEnv.NODE_COMPILE_CACHE;

interface Result {
  pages: number;
  compression: string;
  concurrency: number;
  seconds: number;
  pagesPerSecond: number;
  requestsPerSecond: number;
  requests: number;
  /** 429s the site answered (the pace halves its window on each, and on every NearLimit warning). */
  rateLimited: number;
  /** The pull's own CPU (user + system), start-up excluded. */
  cpuSeconds: number;
  mbIntoKafka: number;
  peakRssMb: number;
  /** Size of the raw topic's log segments, when the broker is the local stack (.stack/kafka/data). */
  diskMb: number | null;
  status: string;
}

function topicDiskMb(topic: string): number | null {
  const dir = join(root, '.stack/kafka/data');
  if (!existsSync(dir)) return null;
  let bytes = 0;
  for (const part of readdirSync(dir).filter((d) => d.startsWith(`${topic}-`))) {
    for (const f of readdirSync(join(dir, part)))
      if (f.endsWith('.log')) bytes += statSync(join(dir, part, f)).size;
  }
  return Math.round(bytes / 1e6);
}

/** Child: one run against the given simulator, then one JSON line with the figures. */
async function scenario(baseUrl: string, compression: string, concurrency: string, topicBase: string) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONFLUENCE_BASE_URL: baseUrl,
    CONFLUENCE_EMAIL: 'sim@example.com',
    CONFLUENCE_API_TOKEN: 'sim-api-token',
    PRODUCER_COMPRESSION: compression,
    PRODUCER_CONCURRENCY: concurrency,
    ...pipelineNames(topicBase),
    LOG_LEVEL: 'warn',
  };
  const cfg = producerConfig(env);
  let peak = 0;
  let atPeak = process.memoryUsage();
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > peak) [peak, atPeak] = [m.rss, m];
  }, 50);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const s = await runPull(cfg, { log: createLogger('bench-producer') });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  const result: Result = {
    pages: s.pages,
    compression,
    concurrency: cfg.concurrency,
    seconds: Number(seconds.toFixed(1)),
    pagesPerSecond: Math.round(s.pages / seconds),
    requestsPerSecond: Number((s.requests / seconds).toFixed(1)),
    requests: s.requests,
    rateLimited: s.rateLimited,
    cpuSeconds: Number(((cpu.user + cpu.system) / 1e6).toFixed(1)),
    mbIntoKafka: Math.round(s.bytes / 1e6),
    peakRssMb: Math.round(peak / 1e6),
    diskMb: topicDiskMb(cfg.services.topics.rawPages),
    status: s.status,
  };
  if (process.env.BENCH_DEBUG) console.error(atPeak);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function firstLine(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return line;
}

async function main() {
  const { values } = parseArgs({
    options: {
      pages: { type: 'string', default: '20000,100000' },
      compression: { type: 'string', default: 'gzip,none' },
      spaces: { type: 'string', default: '6' },
      concurrency: { type: 'string', default: '4' },
      'latency-ms': { type: 'string', default: '0' },
      'rate-limit': { type: 'string', default: '0' },
      tls: { type: 'boolean', default: false },
      cost: { type: 'string', default: 'realistic' },
      scenario: { type: 'string' },
      'topic-base': { type: 'string' },
    },
  });
  if (values.scenario) {
    return scenario(values.scenario, values.compression!, values.concurrency!, values['topic-base']!);
  }
  const results: Result[] = [];
  const topicBases: string[] = [];
  for (const pages of values.pages!.split(',')) {
    const sim = spawn(
      node,
      [
        '--disable-warning=TimeoutNegativeWarning',
        'cli.ts',
        'sim',
        'serve',
        '--pages',
        pages,
        '--spaces',
        values.spaces!,
        '--latency-ms',
        values['latency-ms']!,
        '--cost',
        values.cost!,
        '--rate-limit',
        values['rate-limit']!,
        ...(values.tls ? ['--tls'] : []),
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const { baseUrl, ca } = JSON.parse(await firstLine(sim)) as { baseUrl: string; ca?: string };
    // The producer trusts the simulator's self-signed certificate as a deployment would trust its CA.
    const caFile = join(tmpdir(), `bench-producer-ca-${process.pid}.pem`);
    if (ca) writeFileSync(caFile, ca);
    const childEnv = ca ? { ...scenarioEnv, NODE_EXTRA_CA_CERTS: caFile } : scenarioEnv;
    try {
      for (const compression of values.compression!.split(','))
        for (const concurrency of values.concurrency!.split(',')) {
          const topicBase = `bench-producer-${Date.now()}`;
          topicBases.push(topicBase);
          const child = spawn(
            node,
            [
              ...producer.nodeFlags,
              ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
              'bench/producer.ts',
              '--scenario',
              baseUrl,
              '--compression',
              compression,
              '--concurrency',
              concurrency,
              '--topic-base',
              topicBase,
            ],
            { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'inherit'] },
          );
          const result = JSON.parse(await firstLine(child)) as Result;
          await once(child, 'exit');
          results.push(result);
          console.log(
            `${result.pages} pages, ${compression}, concurrency ${concurrency} (load ${load()}): ` +
              `${result.pagesPerSecond} pages/s, ${result.requestsPerSecond} requests/s, ${result.rateLimited} answered 429, ` +
              `${result.cpuSeconds} CPU s, ` +
              `${result.seconds} s, ${result.mbIntoKafka} MB into Kafka (${result.diskMb ?? '?'} MB on disk), peak RSS ${result.peakRssMb} MB (${result.status})`,
          );
        }
    } finally {
      rmSync(caFile, { force: true });
      sim.kill('SIGTERM');
      await once(sim, 'exit');
    }
  }
  console.table(results);
  // The benchmark's topics hold gigabytes; drop them.
  const cfg = servicesConfig();
  const admin = createKafka(cfg, 'bench-producer', createLogger('bench-producer')).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => topicBases.some((b) => t.startsWith(b)));
  await admin.deleteTopics({ topics });
  await admin.disconnect();
}

await main();
