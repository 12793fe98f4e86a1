// Pull time by the site's shape: the same number of pages in one space and in many, pulled by
// `npm run producer -- run` (its own process, default settings) against the simulator with the
// realistic cost model, the shapes alternating pair by pair so drift in the machine's load hits both.
// Target: one space within 20% of twelve (spaces are not the unit of concurrency: pull.ts).
//   npm run bench:shape -- [--pages 100000] [--spaces 1,12] [--pairs 2] [--cost realistic] [--together]
import { parseArgs } from 'node:util';
import {
  benchId,
  load,
  median,
  pipelineEnv,
  pullProcess,
  removePipeline,
  startSimProcess,
  type PullResult,
} from './pipeline.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '100000' },
    spaces: { type: 'string', default: '1,12' },
    pairs: { type: 'string', default: '2' },
    cost: { type: 'string', default: 'realistic' },
    // Both shapes at once: each meets the same machine load (fairer on a busy machine, slower each).
    together: { type: 'boolean', default: false },
  },
});
const shapes = values.spaces.split(',');
const sims = await Promise.all(
  shapes.map((spaces) => startSimProcess({ pages: values.pages, spaces, cost: values.cost, seed: 3 })),
);
const runs = new Map<string, PullResult[]>(shapes.map((s) => [s, []]));
try {
  for (let pair = 0; pair < Number(values.pairs); pair++) {
    const order = pair % 2 === 0 ? shapes : [...shapes].reverse();
    const pull = async (spaces: string) => {
      const sim = sims[shapes.indexOf(spaces)]!;
      const env = pipelineEnv(benchId('shape'), sim);
      const loadBefore = load();
      const r = await pullProcess(env).finally(() => removePipeline(env));
      if (r.pages !== sim.pages) throw new Error(`pulled ${r.pages} of ${sim.pages} pages`);
      runs.get(spaces)!.push(r);
      console.log(
        `${spaces} space(s): ${r.pages} pages, run ${r.runSeconds.toFixed(1)} s (${Math.round(r.pages / r.runSeconds)} pages/s), ` +
          `process ${r.seconds.toFixed(1)} s, ${r.requests} requests, load ${loadBefore} → ${load()}`,
      );
    };
    if (values.together) await Promise.all(order.map(pull));
    else for (const spaces of order) await pull(spaces);
  }
  const times = shapes.map((s) => median(runs.get(s)!.map((r) => r.runSeconds)));
  console.log(
    shapes.map((s, i) => `${s} space(s): median ${times[i]!.toFixed(1)} s`).join('; ') +
      `; ${shapes[0]} vs ${shapes.at(-1)}: ${(((times[0]! - times.at(-1)!) / times.at(-1)!) * 100).toFixed(0)}% ` +
      `(target within 20%)`,
  );
} finally {
  await Promise.all(sims.map((s) => s.stop()));
}
