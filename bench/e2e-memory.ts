// Peak memory of the two consumer stages in an end-to-end run: a simulated site of N pages is pulled
// while the transformer and the indexer run as their own processes, started exactly as their npm
// scripts start them (bench/pipeline.ts); once the run is live, each stage's peak resident set (VmHWM)
// is read from /proc. Each stage also loads bench/memory-probe.ts, which records what the resident set
// was made of at its peak. One fresh pipeline (topics, indices) per size; everything is removed afterwards.
//   npm run bench:e2e-memory -- [--sizes 20000,100000] [--seed 7] [--snapshots <dir>]
// --snapshots writes a heap snapshot of each stage once half the site's pages are indexed.
// BENCH_NODE_FLAGS adds node flags to both stages (to try one).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch, type Elasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim } from '../sim/index.ts';
import type { MemoryReport, MemorySample } from './memory-probe.ts';
import {
  benchId,
  cpuSeconds,
  peakMb,
  pipelineEnv,
  removePipeline,
  startStage,
  waitLive,
  type Proc,
} from './pipeline.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,100000' },
    seed: { type: 'string', default: '7' },
    snapshots: { type: 'string' },
  },
});
const log = createLogger('bench', { bench: 'e2e-memory' });
log.level = 'warn';

type Stage = 'transformer' | 'indexer';
const probes = mkdtempSync(join(tmpdir(), 'e2e-memory-'));
process.on('exit', () => rmSync(probes, { recursive: true, force: true }));
const probeFile = (name: Stage) => join(probes, `${name}.json`);
const nodeFlags = [
  ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  '--import=./bench/memory-probe.ts',
  ...(values.snapshots ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${values.snapshots}`] : []),
];

const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** The probe's report, once the stage has written one (starting is slow on a busy machine). */
async function probeOf(name: Stage): Promise<MemoryReport> {
  for (let i = 0; ; i++) {
    try {
      return JSON.parse(readFileSync(probeFile(name), 'utf8')) as MemoryReport;
    } catch (err) {
      if (i > 240) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Pages written to the run's index so far (counted before a refresh makes them visible). */
async function indexedCount(es: Elasticsearch, prefix: string) {
  const r = await es.indices.stats({ index: `${prefix}-bench-*`, metric: 'indexing' }).catch(() => null);
  return r?._all.primaries?.indexing?.index_total ?? 0;
}

async function measure(pages: number) {
  const sim = await startSim({ seed: Number(values.seed), spaces: 20, pages });
  const env = pipelineEnv(benchId('mem'), sim);
  const services = servicesConfig(env);
  const stageEnv = (name: Stage) => ({ ...env, BENCH_MEMORY_FILE: probeFile(name) });
  const stages = {
    transformer: startStage('transformer', stageEnv('transformer'), nodeFlags),
    indexer: startStage('indexer', stageEnv('indexer'), nodeFlags),
  };
  const es = createElasticsearch(services);
  try {
    // Idle: started, connected, nothing to do yet.
    await Promise.all([probeOf('transformer'), probeOf('indexer')]);
    await new Promise((r) => setTimeout(r, 3_000));
    const idleMb = { transformer: rssMb(stages.transformer.pid), indexer: rssMb(stages.indexer.pid) };
    const idleCpu = {
      transformer: cpuSeconds(stages.transformer.pid),
      indexer: cpuSeconds(stages.indexer.pid),
    };
    const load = [loadavg()[0]!];
    const sampleLoad = setInterval(() => load.push(loadavg()[0]!), 5_000);
    const started = performance.now();
    try {
      const pull = await runPull(producerConfig(env), { log, interactive: false });
      if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
      if (values.snapshots) {
        while ((await indexedCount(es, services.indexPrefix)) < pages / 2)
          await new Promise((r) => setTimeout(r, 500));
        for (const s of Object.values(stages)) s.child.kill('SIGUSR2');
      }
      await waitLive(es, services, pull.runId, Object.values(stages), 500);
      const seconds = (performance.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 1_500)); // the probes' next write
      const stage = async (name: Stage) => ({
        idleMb: idleMb[name],
        peakMb: peakMb(stages[name].pid),
        cpuSeconds: cpuSeconds(stages[name].pid) - idleCpu[name],
        probe: await probeOf(name),
      });
      return {
        pages: pull.pages,
        seconds,
        load: { min: Math.min(...load), max: Math.max(...load) },
        transformer: await stage('transformer'),
        indexer: await stage('indexer'),
      };
    } finally {
      clearInterval(sampleLoad);
    }
  } finally {
    await Promise.all(Object.values(stages).map((s: Proc) => s.stop()));
    await es.close();
    await sim.close().catch(() => {});
    await removePipeline(env);
  }
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const parts = (s: MemorySample) =>
  `rss ${mb(s.rss)} = anon ${mb(s.rssAnon)} + file ${mb(s.rssFile)}; heap ${mb(s.heapUsed)}/${mb(s.heapTotal)} used/committed, external ${mb(s.external)} (arrayBuffers ${mb(s.arrayBuffers)})`;

const results = [];
for (const size of values.sizes.split(',').map(Number)) {
  const r = await measure(size);
  results.push(r);
  console.log(
    `${r.pages} pages in ${r.seconds.toFixed(0)} s (${(r.pages / r.seconds).toFixed(0)} pages/s end to end, load average ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)})`,
  );
  for (const name of ['transformer', 'indexer'] as const) {
    const { idleMb, peakMb, cpuSeconds, probe } = r[name];
    console.log(
      `  ${name.padEnd(11)} peak RSS ${peakMb.toFixed(0)} MB (idle ${idleMb.toFixed(0)} MB); ${cpuSeconds.toFixed(0)} CPU s, ${(r.pages / cpuSeconds).toFixed(0)} pages per CPU second`,
    );
    console.log(`    at the peak: ${parts(probe.atPeak)}`);
    const spaces = Object.entries(probe.spacesAtPeak).filter(([, v]) => v > 0);
    console.log(`    heap spaces at the peak (MB): ${spaces.map(([k, v]) => `${k} ${v}`).join(', ')}`);
    console.log(`    highest:     ${parts(probe.max)}`);
  }
}
if (results.length > 1) {
  const [first, last] = [results[0]!, results[results.length - 1]!];
  const growth = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(0)}%`;
  console.log(
    `from ${first.pages} to ${last.pages} pages: transformer ${growth(first.transformer.peakMb, last.transformer.peakMb)}, indexer ${growth(first.indexer.peakMb, last.indexer.peakMb)}`,
  );
}
