// Replay of a source from the latest-pages topic, without Confluence: a site is pulled into a pipeline
// (transformer and indexer as processes, as deployed), the simulator is stopped, and the source is
// rebuilt from Kafka alone. Prints the replay's two passes (finding each page's latest record, then
// re-reading and sending those records), the time to the flip, and the replay's CPU and memory.
//   npm run bench:replay -- [--sizes 5000] [--spaces 8] [--seed 7]
import { parseArgs } from 'node:util';
import { servicesConfig } from '../lib/config.ts';
import { createKafka } from '../lib/kafka.ts';
import { indexLatest } from '../lib/latest-pages.ts';
import { createLogger } from '../lib/log.ts';
import { replaySource } from '../ops/replay.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { benchId, load, pipelineEnv, startPipeline, startSimProcess } from './pipeline.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000' },
    spaces: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
  },
});
const log = createLogger('bench', { bench: 'replay-latest' });
log.level = process.env.BENCH_LOG ?? 'warn';

async function measure(pages: number) {
  const sim = await startSimProcess({ pages, spaces: values.spaces, seed: values.seed });
  const env = pipelineEnv(benchId('replay'), sim);
  const services = servicesConfig(env);
  let simStopped = false;
  try {
    const p = await startPipeline(env);
    try {
      const pull = await runPull(producerConfig(env), { log, interactive: false });
      if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
      await p.live(pull.runId);
      await sim.stop();
      simStopped = true;

      const loadBefore = load();
      // The first pass alone, timed on its own (the replay repeats it).
      const kafka = createKafka(services, 'bench-replay', log);
      let started = performance.now();
      const index = await indexLatest(kafka, services.topics.latestPages, 'bench');
      const firstPass = (performance.now() - started) / 1000;

      let peakRss = process.memoryUsage().rss;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
      const rssBefore = peakRss;
      const cpuBefore = process.cpuUsage();
      started = performance.now();
      const replay = await replaySource(services, { sourceId: 'bench', log });
      const written = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      clearInterval(sampler);
      await p.live(replay.runId);
      const flipped = (performance.now() - started) / 1000;
      return {
        pages: replay.pages,
        indexed: index.pages.size,
        firstPass,
        written,
        flipped,
        cpu: (cpu.user + cpu.system) / 1e6,
        rssBeforeMb: rssBefore / 2 ** 20,
        peakRssMb: peakRss / 2 ** 20,
        load: `${loadBefore} → ${load()}`,
      };
    } finally {
      await p.stop();
    }
  } finally {
    if (!simStopped) await sim.stop();
  }
}

for (const size of values.sizes.split(',').map(Number)) {
  const r = await measure(size);
  const s = (x: number) => `${x.toFixed(1)} s`;
  console.log(
    `${r.pages} pages (${values.spaces} spaces), simulator stopped, load ${r.load}: ` +
      `replay written in ${s(r.written)} (${Math.round(r.pages / r.written)} pages/s), flipped after ${s(r.flipped)}\n` +
      `  first pass alone (latest record of ${r.indexed} ids, values not decoded) ${s(r.firstPass)}; ` +
      `replay CPU ${r.cpu.toFixed(1)} s; bench process RSS ${r.rssBeforeMb.toFixed(0)} MB before, peak ${r.peakRssMb.toFixed(0)} MB`,
  );
}
