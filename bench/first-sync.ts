// First sync end to end: a simulated site (its own process, the realistic cost model at its defaults) →
// producer → transformer → indexer → alias flipped, each stage a process of its own as deployed, waiting
// for work in their consumer groups before the pull starts (as in production, where they run all along).
// Prints the time from the pull's start to the flip, and where it went: when each stage finished and its
// rate, the lag between stages, each process's CPU seconds and peak RSS, and the load average.
//   npm run bench:first-sync -- [--sizes 20000,100000] [--spaces 8] [--seed 7] [--cost realistic]
//                               [--transformers 1] [--indexers 1]
// Stage settings come from the environment (TOPIC_PARTITIONS, INDEX_BULK_*, ...), as for the services.
import { createKafka } from '../lib/kafka.ts';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { parseArgs } from 'node:util';
import {
  benchId,
  cpuSeconds,
  load,
  peakMb,
  pipelineEnv,
  removePipeline,
  startSimProcess,
  startStage,
  waitLive,
  type Proc,
} from './pipeline.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '20000,100000' },
    spaces: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    cost: { type: 'string', default: 'realistic' },
    transformers: { type: 'string', default: '1' },
    indexers: { type: 'string', default: '1' },
  },
});
const log = createLogger('bench', { bench: 'first-sync' });
log.level = 'warn';

/** Sum of a topic's end offsets, and of a group's committed offsets on it. */
async function offsets(admin: ReturnType<ReturnType<typeof createKafka>['admin']>, topic: string, group: string) {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  const sum = (xs: { offset: string }[]) => xs.reduce((n, x) => n + Math.max(0, Number(x.offset)), 0);
  return { end: sum(ends), committed: sum(committed[0]?.partitions ?? []) };
}

async function measure(pages: number) {
  const sim = await startSimProcess([
    '--pages',
    String(pages),
    '--spaces',
    values.spaces,
    '--seed',
    values.seed,
    '--cost',
    values.cost,
  ]);
  const env = pipelineEnv(benchId('first-sync'), sim);
  const services = servicesConfig(env);
  const groups = { transformer: `${services.indexPrefix}-transformer`, indexer: `${services.indexPrefix}-indexer` };
  const stages: Proc[] = [
    ...Array.from({ length: Number(values.transformers) }, () => startStage('transformer', env)),
    ...Array.from({ length: Number(values.indexers) }, () => startStage('indexer', env)),
  ];
  const es = createElasticsearch(services);
  const admin = createKafka(services, 'bench-first-sync', log).admin();
  await admin.connect();
  try {
    // Ready means each group has every instance as a member, with partitions assigned.
    for (;;) {
      const { groups: described } = await admin.describeGroups(Object.values(groups));
      const members = described.map((g) => (g.state === 'Stable' ? g.members.length : 0));
      if (members[0] === Number(values.transformers) && members[1] === Number(values.indexers)) break;
      for (const s of stages) if (s.child.exitCode !== null) throw new Error(`${s.name} exited: ${s.tail()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const cpuBefore = new Map(stages.map((s) => [s, cpuSeconds(s.pid)]));
    const simCpuBefore = cpuSeconds(sim.pid);
    const benchCpuBefore = process.cpuUsage();
    const loadBefore = load();
    const started = performance.now();
    const at = () => (performance.now() - started) / 1000;
    const done: { pull?: number; transformer?: number; indexer?: number } = {};
    // Who is done: the transformer once it committed all of the raw topic after the pull ended, the
    // indexer all of the HTML topic after that.
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        if (done.pull !== undefined && done.transformer === undefined) {
          const raw = await offsets(admin, services.topics.rawPages, groups.transformer);
          if (raw.committed >= raw.end) done.transformer = at();
        } else if (done.transformer !== undefined && done.indexer === undefined) {
          const html = await offsets(admin, services.topics.htmlPages, groups.indexer);
          if (html.committed >= html.end) done.indexer = at();
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const pull = await runPull(producerConfig(env), { log, interactive: false });
    done.pull = at();
    if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
    const state = await waitLive(es, services, pull.runId, stages, 100);
    const flipped = at();
    sampling = false;
    await sampler;
    const cpu = (name: string) =>
      stages.filter((s) => s.name === name).reduce((n, s) => n + cpuSeconds(s.pid) - cpuBefore.get(s)!, 0);
    const bench = process.cpuUsage(benchCpuBefore);
    return {
      pages: pull.pages,
      docs: state.docs ?? null,
      flipped,
      done,
      requests: pull.requests,
      mb: pull.bytes / 1e6,
      cpu: {
        producer: (bench.user + bench.system) / 1e6,
        sim: cpuSeconds(sim.pid) - simCpuBefore,
        transformer: cpu('transformer'),
        indexer: cpu('indexer'),
      },
      peak: Object.fromEntries(stages.map((s) => [s.name, peakMb(s.pid)])),
      load: `${loadBefore} → ${load()}`,
    };
  } finally {
    await Promise.all(stages.map((s) => s.stop()));
    await admin.disconnect();
    await es.close();
    await sim.stop();
    await removePipeline(env);
  }
}

for (const size of values.sizes.split(',').map(Number)) {
  const r = await measure(size);
  const { pull, transformer, indexer } = r.done as Required<typeof r.done>;
  const s = (x: number) => `${x.toFixed(1)} s`;
  const rate = (x: number) => `${Math.round(r.pages / x)} pages/s`;
  console.log(
    `${r.pages} pages (${values.spaces} spaces, cost ${values.cost}, ${values.transformers} transformer(s), ` +
      `${values.indexers} indexer(s)), load ${r.load}: flipped after ${s(r.flipped)} (${rate(r.flipped)})\n` +
      `  pull done ${s(pull)} (${rate(pull)}, ${r.requests} requests, ${r.mb.toFixed(0)} MB); ` +
      `transformer done ${s(transformer)} (+${s(transformer - pull)}); indexer done ${s(indexer)} ` +
      `(+${s(indexer - transformer)}); flip +${s(r.flipped - indexer)}\n` +
      `  CPU s: producer ${r.cpu.producer.toFixed(1)}, transformer ${r.cpu.transformer.toFixed(1)}, ` +
      `indexer ${r.cpu.indexer.toFixed(1)}, sim ${r.cpu.sim.toFixed(1)}; peak RSS MB: ` +
      Object.entries(r.peak)
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', '),
  );
}
