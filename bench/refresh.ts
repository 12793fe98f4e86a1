// A refresh after a first sync: a simulated site (its own process, realistic cost model) is synced once
// end to end, then a share of its pages changes (edits, deletions, additions, through the simulator's
// admin API) and the site is pulled again with the producer's defaults. Prints, for both runs: time from
// the pull's start to the flip, Confluence response bytes on the wire (gzip, as the producer asks for
// them; the run record) and as JSON (the simulator's count), requests, and the transformer's and the
// simulator's CPU seconds (their own processes, /proc); then whether the alias holds exactly the site's
// pages at their latest versions. Targets (issue 16): the refresh flipped within 20 s at 100,000 pages,
// with at most 10% of the first sync's bytes and transformer CPU.
//   npm run bench:refresh -- [--pages 100000] [--spaces 8] [--changed 0.01] [--seed 11] [--cost realistic]
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log.ts';
import { producerConfig } from '../producer/config.ts';
import { readLiveIndex } from '../producer/live-index.ts';
import { runPull, type RunSummary } from '../producer/run.ts';
import {
  benchId,
  cpuSeconds,
  load,
  pipelineEnv,
  startPipeline,
  startSimProcess,
  type Pipeline,
} from './pipeline.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '100000' },
    spaces: { type: 'string', default: '8' },
    changed: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '11' },
    cost: { type: 'string', default: 'realistic' },
  },
});
const log = createLogger('bench', { bench: 'refresh' });
log.level = 'warn';

const sim = await startSimProcess({
  pages: values.pages,
  spaces: values.spaces,
  seed: values.seed,
  cost: values.cost,
});
const env = pipelineEnv(benchId('refresh'), sim);

interface Served {
  requests: number;
  /** On the wire. */
  bytes: number;
  /** As JSON, before compression. */
  jsonBytes: number;
}

interface Sync {
  pull: RunSummary;
  seconds: number;
  transformerCpu: number;
  /** What serving the run cost the simulator (compression included). */
  simCpu: number;
  load: string;
  /** What the simulator served, by route (ids as `{id}`). */
  byRoute: Record<string, Served>;
}

/** The request kinds a run's bytes break down into, by the simulator's route names. */
const KINDS: [string, RegExp][] = [
  ['listing', /^\/wiki\/api\/v2\/spaces\/\{id\}\/pages$/],
  ['facts', /\/rest\/api\/content\/search$/],
  ['bodies and confirmations', /^\/wiki\/api\/v2\/pages$/],
  ['users', /\/rest\/api\/user\/bulk$/],
];

const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
const total = (byRoute: Record<string, Served>) =>
  Object.values(byRoute).reduce((n, s) => n + s.jsonBytes, 0);

const breakdown = (byRoute: Record<string, Served>) => {
  const kinds = new Map<string, Served>();
  for (const [route, served] of Object.entries(byRoute)) {
    const kind = KINDS.find(([, re]) => re.test(route))?.[0] ?? 'other';
    const k = kinds.get(kind) ?? { requests: 0, bytes: 0, jsonBytes: 0 };
    kinds.set(kind, {
      requests: k.requests + served.requests,
      bytes: k.bytes + served.bytes,
      jsonBytes: k.jsonBytes + served.jsonBytes,
    });
  }
  return [...kinds]
    .map(([kind, k]) => `${kind} ${mb(k.bytes)} MB (JSON ${mb(k.jsonBytes)}) / ${k.requests} requests`)
    .join('; ');
};

async function sync(p: Pipeline): Promise<Sync> {
  await sim.admin('DELETE', 'traffic');
  const cpu = p.cpu('transformer');
  const simCpu = cpuSeconds(sim.pid);
  const loadBefore = load();
  const started = performance.now();
  const pull = await runPull(producerConfig(env), { log, interactive: false });
  if (pull.status !== 'SUCCEEDED') throw new Error(`the pull failed: ${pull.error}`);
  await p.live(pull.runId);
  return {
    pull,
    seconds: (performance.now() - started) / 1000,
    transformerCpu: p.cpu('transformer') - cpu,
    simCpu: cpuSeconds(sim.pid) - simCpu,
    load: `${loadBefore} → ${load()}`,
    byRoute: ((await sim.admin('GET', 'traffic')) as { byRoute: Record<string, Served> }).byRoute,
  };
}

/** A deterministic shuffle (xorshift), so the same seed changes the same pages. */
function shuffled<T>(xs: T[], seed: number): T[] {
  let s = seed || 1;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Edits 60%, trashes 20% and adds 20% of `share` × the site's pages; returns what the alias must then hold. */
async function change(live: Map<string, number>, share: number): Promise<Map<string, number>> {
  const n = Math.round(live.size * share);
  const expected = new Map(live);
  const ids = shuffled([...live.keys()], Number(values.seed));
  const edits = ids.slice(0, Math.round(n * 0.6));
  const deletions = ids.slice(edits.length, edits.length + Math.round(n * 0.2));
  const additions = n - edits.length - deletions.length;
  const spaces = (await sim.state()).spaces.filter((s) => s.status === 'current');
  for (const id of edits) {
    const page = (await sim.admin('PUT', `pages/${id}`, {})) as { version: number };
    expected.set(id, page.version);
  }
  for (const id of deletions) {
    await sim.admin('DELETE', `pages/${id}`);
    expected.delete(id);
  }
  for (let i = 0; i < additions; i++) {
    const body = `<p>Added by the refresh benchmark (${i}).</p>`;
    const page = (await sim.admin('POST', 'pages', { space: spaces[i % spaces.length]!.id, body })) as {
      id: string;
      version: number;
    };
    expected.set(page.id, page.version);
  }
  console.log(`changed ${n} pages: ${edits.length} edited, ${deletions.length} trashed, ${additions} added`);
  return expected;
}

/** Page id → version in the live alias. */
const liveVersions = async (p: Pipeline) =>
  new Map(
    [...((await (await readLiveIndex(p.es, p.services.indexPrefix, 'bench'))?.pages) ?? [])].map(
      ([id, page]) => [id, page.version],
    ),
  );

const describe = (name: string, s: Sync) =>
  `${name}: ${s.pull.pages} pages, flipped after ${s.seconds.toFixed(1)} s (the pull ${(s.pull.durationMs / 1000).toFixed(1)} s, then to the flip ${(s.seconds - s.pull.durationMs / 1000).toFixed(1)} s); Confluence ${mb(s.pull.confluenceBytes)} MB on the wire (JSON ${mb(total(s.byRoute))}) in ` +
  `${s.pull.requests} requests; transformer CPU ${s.transformerCpu.toFixed(1)} s, simulator CPU ${s.simCpu.toFixed(1)} s; load ${s.load}\n` +
  `  served by kind: ${breakdown(s.byRoute)}`;

try {
  const p = await startPipeline(env);
  try {
    const first = await sync(p);
    console.log(describe('first sync', first));
    const expected = await change(await liveVersions(p), Number(values.changed));
    const refresh = await sync(p);
    const unchanged = 'unchanged' in refresh.pull ? refresh.pull.unchanged : undefined;
    console.log(
      describe('refresh', refresh) +
        (unchanged === undefined ? ' (no unchanged count: a full run)' : `; ${String(unchanged)} unchanged`),
    );
    const after = await liveVersions(p);
    const missing = [...expected.keys()].filter((id) => !after.has(id)).length;
    const extra = [...after.keys()].filter((id) => !expected.has(id)).length;
    const stale = [...expected].filter(([id, v]) => after.has(id) && after.get(id) !== v).length;
    const site = (await sim.state()).pages;
    const pct = (a: number, b: number) => `${((a / b) * 100).toFixed(1)}%`;
    console.log(
      `refresh vs first sync: ${pct(refresh.pull.confluenceBytes, first.pull.confluenceBytes)} of the Confluence response bytes on the wire (target ≤ 10%; as JSON ${pct(total(refresh.byRoute), total(first.byRoute))}; Kafka: ${pct(refresh.pull.bytes, first.pull.bytes)}), ` +
        `${pct(refresh.transformerCpu, first.transformerCpu)} of the transformer CPU (target ≤ 10%), ` +
        `flipped after ${refresh.seconds.toFixed(1)} s (target ≤ 20 s)\n` +
        `alias afterwards: ${after.size} pages, site ${site}; missing ${missing}, extra ${extra}, stale version ${stale}` +
        (missing + extra + stale === 0 && after.size === site ? ' — exactly the site' : ' — NOT the site'),
    );
  } finally {
    await p.stop();
  }
} finally {
  await sim.stop();
}
