// First sync end to end: a simulated site (its own process, the realistic cost model at its defaults) →
// producer → transformer → indexer → alias flipped, each stage a process of its own as deployed, waiting
// for work in their consumer groups before the pull starts (as in production, where they run all along).
// Prints the time from the pull's start to the flip, and where it went: when each stage finished and its
// rate, the lag between stages, each process's CPU seconds and peak RSS, and the load average.
//   npm run bench:first-sync -- [--sizes 20000,100000] [--spaces 8] [--seed 7] [--cost realistic]
//                               [--transformers 1] [--indexers 1] [--cpu-prof <dir>]
// Stage settings come from the environment (TOPIC_PARTITIONS, INDEX_BULK_*, ...), as for the services.
import { parseArgs } from 'node:util';
import type { Admin } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import {
  benchId,
  cpuSeconds,
  load,
  peakMb,
  pipelineEnv,
  startPipeline,
  serverPids,
  startSimProcess,
} from './pipeline.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,100000' },
    spaces: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    cost: { type: 'string', default: 'realistic' },
    transformers: { type: 'string', default: '1' },
    indexers: { type: 'string', default: '1' },
    // Writes a CPU profile of each stage process into this folder when it stops.
    'cpu-prof': { type: 'string' },
  },
});
const log = createLogger('bench', { bench: 'first-sync' });
log.level = 'warn';

/** Whether a group has committed everything in a topic. */
async function caughtUp(admin: Admin, topic: string, groupId: string): Promise<boolean> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
  return ends.every((e) => (at.get(e.partition) ?? -1) >= Number(e.offset));
}

async function measure(pages: number) {
  const sim = await startSimProcess({ pages, spaces: values.spaces, seed: values.seed, cost: values.cost });
  const env = pipelineEnv(benchId('first-sync'), sim);
  try {
    const p = await startPipeline(
      env,
      { transformer: Number(values.transformers), indexer: Number(values.indexers) },
      values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [],
    );
    try {
      const stack = await serverPids(p.es);
      const stackCpu = () => ({
        elasticsearch: stack.elasticsearch ? cpuSeconds(stack.elasticsearch) : NaN,
        kafka: stack.kafka ? cpuSeconds(stack.kafka) : NaN,
      });
      const cpuBefore = {
        transformer: p.cpu('transformer'),
        indexer: p.cpu('indexer'),
        sim: cpuSeconds(sim.pid),
        ...stackCpu(),
      };
      const benchCpuBefore = process.cpuUsage();
      const loadBefore = load();
      const started = performance.now();
      const at = () => (performance.now() - started) / 1000;
      const done: { pull?: number; transformer?: number; indexer?: number } = {};
      // The transformer is done once it committed all of the raw topic after the pull ended, the
      // indexer once it committed all of the HTML topic after that.
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          if (done.pull !== undefined && done.transformer === undefined) {
            if (await caughtUp(p.admin, p.services.topics.rawPages, p.groups.transformer))
              done.transformer = at();
          } else if (done.transformer !== undefined && done.indexer === undefined) {
            if (await caughtUp(p.admin, p.services.topics.htmlPages, p.groups.indexer)) done.indexer = at();
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const pull = await runPull(producerConfig(env), { log, interactive: false });
      done.pull = at();
      if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
      await p.live(pull.runId).finally(() => (sampling = false));
      const flipped = at();
      await sampler;
      const bench = process.cpuUsage(benchCpuBefore);
      const stackAfter = stackCpu();
      const peak = (name: string) =>
        Math.max(...p.stages.filter((s) => s.name === name).map((s) => peakMb(s.pid)));
      return {
        pages: pull.pages,
        flipped,
        done: { pull: done.pull, transformer: done.transformer ?? flipped, indexer: done.indexer ?? flipped },
        requests: pull.requests,
        mb: pull.bytes / 1e6,
        cpu: {
          producer: (bench.user + bench.system) / 1e6,
          transformer: p.cpu('transformer') - cpuBefore.transformer,
          indexer: p.cpu('indexer') - cpuBefore.indexer,
          sim: cpuSeconds(sim.pid) - cpuBefore.sim,
          elasticsearch: stackAfter.elasticsearch - cpuBefore.elasticsearch,
          kafka: stackAfter.kafka - cpuBefore.kafka,
        },
        peak: { transformer: peak('transformer'), indexer: peak('indexer') },
        load: `${loadBefore} → ${load()}`,
      };
    } finally {
      await p.stop();
    }
  } finally {
    await sim.stop();
  }
}

for (const size of values.sizes.split(',').map(Number)) {
  const r = await measure(size);
  const { pull, transformer, indexer } = r.done;
  const s = (x: number) => `${x.toFixed(1)} s`;
  const rate = (x: number) => `${Math.round(r.pages / x)} pages/s`;
  console.log(
    `${r.pages} pages (${values.spaces} spaces, cost ${values.cost}, ${values.transformers} transformer(s), ` +
      `${values.indexers} indexer(s)), load ${r.load}: flipped after ${s(r.flipped)} (${rate(r.flipped)})\n` +
      `  pull done ${s(pull)} (${rate(pull)}, ${r.requests} requests, ${r.mb.toFixed(0)} MB); ` +
      `transformer done ${s(transformer)} (+${s(transformer - pull)}); indexer done ${s(indexer)} ` +
      `(+${s(indexer - transformer)}); flip +${s(r.flipped - indexer)}\n` +
      `  CPU s: producer ${r.cpu.producer.toFixed(1)}, transformer ${r.cpu.transformer.toFixed(1)}, ` +
      `indexer ${r.cpu.indexer.toFixed(1)}, sim ${r.cpu.sim.toFixed(1)}, Elasticsearch ${r.cpu.elasticsearch.toFixed(1)}, ` +
      `Kafka ${r.cpu.kafka.toFixed(1)} (shared servers: anyone's work meanwhile counts too); ` +
      `ms per page: ${Object.entries(r.cpu)
        .map(([k, v]) => `${k} ${((v * 1000) / r.pages).toFixed(2)}`)
        .join(', ')}\n  peak RSS MB: ` +
      Object.entries(r.peak)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', '),
  );
}
