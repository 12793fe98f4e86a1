// The transformer service's CPU per page, as deployed: a simulated site is pulled once into a raw topic
// (the producer in this process, the simulator's site and bodies, pages of megabytes included), then the
// transformer runs as its own process exactly as `npm run transformer` starts it (bench/pipeline.ts),
// from an empty consumer group, until it has committed all of that topic; `--runs` repeats this over the
// same records (a fresh group and HTML topic each time), so runs compare on identical input.
// Prints each run's CPU seconds (start-up excluded), per page, wall time, peak RSS and the load average.
//   npm run bench:transform -- [--pages 20000] [--spaces 8] [--seed 7] [--runs 1] [--cpu-prof <dir>]
//                              [--raw-topic <topic> [--keep]]
// --raw-topic reuses a raw topic a previous run kept (--keep): the same records for two checkouts' code.
// BENCH_NODE_FLAGS adds node flags to the transformer (to try one).
import { parseArgs } from 'node:util';
import { pipelineNames, servicesConfig } from '../lib/config.ts';
import { createKafka, type Admin } from '../lib/kafka.ts';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim } from '../sim/index.ts';
import { benchId, cpuSeconds, load, peakMb, pipelineEnv, startStage } from './pipeline.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20000' },
    spaces: { type: 'string', default: '8' },
    seed: { type: 'string', default: '7' },
    runs: { type: 'string', default: '1' },
    'cpu-prof': { type: 'string' },
    'raw-topic': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const log = createLogger('bench', { bench: 'transform-service' });
log.level = 'warn';
const nodeFlags = [
  ...(process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
  ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : []),
];

/** Records in a topic (end offsets minus start offsets), and whether a group has committed them all. */
async function offsets(admin: Admin, topic: string, groupId?: string) {
  const ends = await admin.fetchTopicOffsets(topic);
  const records = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0);
  if (!groupId) return { records, caughtUp: false };
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]));
  return { records, caughtUp: ends.every((e) => (at.get(e.partition) ?? -1) >= Number(e.high)) };
}

const id = benchId('transform');
const admin = createKafka(servicesConfig(process.env), 'bench', log).admin();
await admin.connect();
let rawTopic = values['raw-topic'];
const created: string[] = [];
let pages = 0;
if (!rawTopic) {
  const sim = await startSim({
    seed: Number(values.seed),
    spaces: Number(values.spaces),
    pages: Number(values.pages),
  });
  try {
    const env = pipelineEnv(id, sim);
    const pull = await runPull(producerConfig(env), { log, interactive: false });
    if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
    pages = pull.pages;
    rawTopic = pipelineNames(id).TOPIC_RAW_PAGES;
    created.push(...Object.values(pipelineNames(id)).filter((t) => t !== id && t.includes('.')));
  } finally {
    await sim.close();
  }
}
const { records } = await offsets(admin, rawTopic);
console.log(`raw topic ${rawTopic}: ${records} records${pages ? ` (${pages} pages pulled)` : ''}`);

for (let run = 1; run <= Number(values.runs); run++) {
  const runId = `${id}-${run}`;
  const names = { ...pipelineNames(runId), TOPIC_RAW_PAGES: rawTopic };
  const groupId = `${runId}-transformer`;
  const env = { ...pipelineEnv(runId, { baseUrl: '', email: '', token: '' }), ...names };
  const stage = startStage('transformer', { ...env, TRANSFORMER_GROUP_ID: groupId }, nodeFlags);
  try {
    // Ready once it is the group's member: start-up (module loading, connecting) is not counted.
    for (;;) {
      const [group] = (await admin.describeGroups([groupId])).groups;
      if (group?.state === 'Stable' && group.members.length === 1) break;
      if (stage.child.exitCode !== null) throw new Error(`the transformer exited: ${stage.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cpuBefore = cpuSeconds(stage.pid);
    const loadBefore = load();
    const started = performance.now();
    while (!(await offsets(admin, rawTopic, groupId)).caughtUp) {
      if (stage.child.exitCode !== null) throw new Error(`the transformer exited: ${stage.tail()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(stage.pid) - cpuBefore;
    console.log(
      JSON.stringify({
        run,
        records,
        cpuSeconds: Number(cpu.toFixed(2)),
        cpuMsPerRecord: Number(((cpu * 1000) / records).toFixed(3)),
        cpuSecondsPer20000: Number(((cpu * 20000) / records).toFixed(1)),
        seconds: Number(seconds.toFixed(1)),
        peakRssMb: Math.round(peakMb(stage.pid)),
        load: `${loadBefore} → ${load()}`,
      }),
    );
  } finally {
    await stage.stop();
    const own = [names.TOPIC_HTML_PAGES, names.TOPIC_DEAD_LETTER, names.TOPIC_RUNS, names.TOPIC_LATEST_PAGES];
    await admin.deleteTopics({ topics: own }).catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
  }
}
if (values.keep) console.log(`kept ${rawTopic}: pass --raw-topic ${rawTopic} to reuse it`);
else await admin.deleteTopics({ topics: created.length ? created : [rawTopic] }).catch(() => {});
await admin.disconnect();
