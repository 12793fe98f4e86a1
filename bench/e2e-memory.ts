// Peak memory of the two consumer stages in an end-to-end run: a simulated site of N pages is pulled
// while the transformer and the indexer run as their own processes, started exactly as their npm
// scripts start them; once the run is live, each stage's peak resident set (VmHWM) is read from /proc.
// One fresh pipeline (topics, indices) per size; everything is removed afterwards.
//   npm run bench:e2e-memory -- [--sizes 20000,100000] [--seed 7]
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { isDecided, isFlipped } from '../indexer/completion.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim } from '../sim/index.ts';
import { cleanUp } from '../test/indexer/fixtures.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '20000,100000' }, seed: { type: 'string', default: '7' } },
});
const log = createLogger('bench', { bench: 'e2e-memory' });
log.level = 'warn';
const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> })
  .scripts;

/** A stage as `npm run <name>` starts it (same node flags), as a direct child so its pid is the node process. */
function startStage(name: 'transformer' | 'indexer', env: NodeJS.ProcessEnv): ChildProcess {
  const [, ...args] = scripts[name]!.split(/\s+/); // "node --flags cli.ts <name>"
  const child = spawn('node_modules/.bin/node', args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`${name} exited (${code ?? signal}): ${tail}`);
  });
  return child;
}

const peakMb = (pid: number) =>
  Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

async function measure(pages: number) {
  const sim = await startSim({ seed: Number(values.seed), spaces: 20, pages });
  const id = `bench-mem-${randomBytes(3).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: 'bench',
    TOPIC_RAW_PAGES: `${id}.raw`,
    TOPIC_HTML_PAGES: `${id}.html`,
    TOPIC_DEAD_LETTER: `${id}.dead-letter`,
    TOPIC_RUNS: `${id}.runs`,
    TOPIC_LATEST_PAGES: `${id}.latest`,
    INDEX_PREFIX: id,
    LOG_LEVEL: 'warn',
    METRICS_PORT: '0',
  };
  const services = servicesConfig(env);
  const stages = { transformer: startStage('transformer', env), indexer: startStage('indexer', env) };
  const es = createElasticsearch(services);
  const started = performance.now();
  try {
    const pull = await runPull(producerConfig(env), { log, interactive: false });
    if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
    const store = createRunStore(es, services.indexPrefix);
    for (;;) {
      const state = await store.get(pull.runId).catch(() => null);
      if (state && isDecided(state)) {
        if (!isFlipped(state)) throw new Error(`the run was ${state.status}: ${state.reason}`);
        break;
      }
      for (const [name, child] of Object.entries(stages))
        if (child.exitCode !== null) throw new Error(`the ${name} exited before the run went live`);
      await new Promise((r) => setTimeout(r, 500));
    }
    return {
      pages: pull.pages,
      seconds: (performance.now() - started) / 1000,
      transformerMb: peakMb(stages.transformer.pid!),
      indexerMb: peakMb(stages.indexer.pid!),
    };
  } finally {
    for (const child of Object.values(stages)) child.kill('SIGTERM');
    await es.close();
    await sim.close().catch(() => {});
    await cleanUp(services).catch(() => {});
  }
}

const results = [];
for (const size of values.sizes.split(',').map(Number)) {
  const r = await measure(size);
  results.push(r);
  console.log(
    `${r.pages} pages in ${r.seconds.toFixed(0)} s: peak RSS transformer ${r.transformerMb.toFixed(0)} MB, indexer ${r.indexerMb.toFixed(0)} MB`,
  );
}
if (results.length > 1) {
  const [first, last] = [results[0]!, results[results.length - 1]!];
  const growth = (a: number, b: number) => `${(((b - a) / a) * 100).toFixed(0)}%`;
  console.log(
    `from ${first.pages} to ${last.pages} pages: transformer ${growth(first.transformerMb, last.transformerMb)}, indexer ${growth(first.indexerMb, last.indexerMb)}`,
  );
}
