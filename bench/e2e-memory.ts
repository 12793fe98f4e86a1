// Peak memory of the two consumer stages in an end-to-end run: a simulated site of N pages is pulled
// while the transformer and the indexer run as their own processes, started exactly as their npm
// scripts start them (bench/pipeline.ts); once the run is live, each stage's peak resident set (VmHWM)
// is read from /proc. One fresh pipeline (topics, indices) per size; everything is removed afterwards.
//   npm run bench:e2e-memory -- [--sizes 20000,100000] [--seed 7]
import { parseArgs } from 'node:util';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim } from '../sim/index.ts';
import { benchId, peakMb, pipelineEnv, removePipeline, startStage, waitLive } from './pipeline.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '20000,100000' }, seed: { type: 'string', default: '7' } },
});
const log = createLogger('bench', { bench: 'e2e-memory' });
log.level = 'warn';

async function measure(pages: number) {
  const sim = await startSim({ seed: Number(values.seed), spaces: 20, pages });
  const env = pipelineEnv(benchId('mem'), sim);
  const services = servicesConfig(env);
  const stages = { transformer: startStage('transformer', env), indexer: startStage('indexer', env) };
  const es = createElasticsearch(services);
  const started = performance.now();
  try {
    const pull = await runPull(producerConfig(env), { log, interactive: false });
    if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
    await waitLive(es, services, pull.runId, Object.values(stages), 500);
    return {
      pages: pull.pages,
      seconds: (performance.now() - started) / 1000,
      transformerMb: peakMb(stages.transformer.pid),
      indexerMb: peakMb(stages.indexer.pid),
    };
  } finally {
    await Promise.all(Object.values(stages).map((s) => s.stop()));
    await es.close();
    await sim.close().catch(() => {});
    await removePipeline(env);
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
