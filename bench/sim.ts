// Simulator benchmark: `sim serve` as its own process, asked by a light client, so what it costs is
// its own: time until ready, peak RSS, and CPU seconds (/proc) per pattern of requests.
//   --pattern page-all (default): every page with limit=250 and body-format=storage, `passes` times;
//     whether memory plateaus (bounded by one response) or grows with pages served.
//   --pattern pull: what a full pull by the producer asks for (each space's listing, facts searches of
//     200 ids, bodies by id 250 at a time), `--concurrency` in flight, gzip accepted;
//   --pattern refresh: the same without the bodies (a refresh's listing and facts).
// In the pipeline's benchmarks the simulator shares the machine's cores with what it measures, so its
// CPU per answer is CPU taken from the producer (bench/README.md, "Simulator").
// Usage: npx node bench/sim.ts [--pages 100000] [--spaces 8] [--pattern page-all|pull|refresh]
//                              [--passes 2] [--concurrency 8] [--tls] [--cost realistic]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { Agent, request } from 'undici';
import { cpuSeconds, load, startSimProcess } from './pipeline.ts';

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '100000' },
    spaces: { type: 'string', default: '8' },
    pattern: { type: 'string', default: 'page-all' },
    passes: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    tls: { type: 'boolean', default: false },
    cost: { type: 'string', default: 'realistic' },
  },
});
const pattern = values.pattern!;
if (!['page-all', 'pull', 'refresh'].includes(pattern)) throw new Error(`unknown --pattern ${pattern}`);
const passes = Number(values.passes ?? (pattern === 'page-all' ? 2 : 1));
const concurrency = Number(values.concurrency);

function procMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const started = performance.now();
const sim = await startSimProcess({
  pages: values.pages!,
  spaces: values.spaces!,
  tls: values.tls!,
  ...(pattern === 'page-all' ? {} : { cost: values.cost! }),
});
const readyMs = performance.now() - started;
const rssReady = procMb(sim.pid, 'VmRSS');
const dispatcher = new Agent({ connections: concurrency, ...(sim.ca ? { connect: { ca: sim.ca } } : {}) });
const headers = {
  authorization: `Basic ${Buffer.from(`${sim.email}:${sim.token}`).toString('base64')}`,
  accept: 'application/json',
  ...(pattern === 'page-all' ? {} : { 'accept-encoding': 'gzip' }),
};

/** One GET; its JSON when `parse`, else the answer is only read (a body batch need not be decoded here). */
async function get(
  path: string,
  parse = true,
): Promise<{ results: { id: string }[]; _links: { next?: string } }> {
  const res = await request(sim.baseUrl + path, { dispatcher, headers });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  if (res.statusCode !== 200)
    throw new Error(`GET ${path}: HTTP ${res.statusCode}: ${bytes.toString().slice(0, 200)}`);
  if (!parse) return { results: [], _links: {} };
  return JSON.parse((res.headers['content-encoding'] === 'gzip' ? gunzipSync(bytes) : bytes).toString());
}

/** Runs `work` on every item, `concurrency` at a time. */
async function inFlight<T>(items: T[], work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function pageAll(): Promise<number> {
  let next: string | undefined = '/wiki/api/v2/pages?limit=250&body-format=storage&status=current';
  let count = 0;
  while (next) {
    const body = await get(next);
    count += body.results.length;
    next = body._links.next;
  }
  return count;
}

/** The producer's requests of a full pull (or, without bodies, a refresh's): producer/confluence-source.ts, restrictions.ts. */
async function pullPattern(bodies: boolean): Promise<number> {
  const spaces = (await get('/wiki/api/v2/spaces?limit=250')).results;
  const ids: string[] = [];
  await inFlight(spaces, async (space) => {
    let next: string | undefined = `/wiki/api/v2/spaces/${space.id}/pages?status=current&sort=id&limit=250`;
    while (next) {
      const listing = await get(next);
      for (const p of listing.results) ids.push(p.id);
      next = listing._links.next;
    }
  });
  const batches = (n: number) =>
    Array.from({ length: Math.ceil(ids.length / n) }, (_, i) => ids.slice(i * n, i * n + n).join(','));
  const facts = batches(200).map(
    (batch) =>
      `/wiki/rest/api/content/search?${new URLSearchParams({
        cql: `type=page and id in (${batch})`,
        cqlcontext: JSON.stringify({ contentStatuses: ['current', 'archived'] }),
        expand: 'restrictions.read.restrictions.user,restrictions.read.restrictions.group,metadata.labels',
        limit: '200',
      })}`,
  );
  const byId = bodies
    ? batches(250).map(
        (batch) =>
          `/wiki/api/v2/pages?${new URLSearchParams({ id: batch, status: 'current', 'body-format': 'storage', limit: '250' })}`,
      )
    : [];
  await inFlight([...facts, ...byId], (path) => get(path, false));
  return ids.length;
}

const runs = [];
for (let i = 0; i < passes; i++) {
  await sim.admin('DELETE', 'traffic');
  const cpuBefore = cpuSeconds(sim.pid);
  const loadBefore = load();
  const t0 = performance.now();
  const pages = pattern === 'page-all' ? await pageAll() : await pullPattern(pattern === 'pull');
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(sim.pid) - cpuBefore;
  const { total } = (await sim.admin('GET', 'traffic')) as {
    total: { requests: number; bytes: number; jsonBytes: number };
  };
  runs.push({
    pages,
    requests: total.requests,
    seconds: Math.round(seconds * 10) / 10,
    simCpuSeconds: Math.round(cpu * 100) / 100,
    mbJson: Math.round(total.jsonBytes / 1e6),
    mbOnTheWire: Math.round(total.bytes / 1e6),
    rssMbAfter: procMb(sim.pid, 'VmRSS'),
    load: `${loadBefore} → ${load()}`,
  });
}
const peakRssMb = procMb(sim.pid, 'VmHWM');
await sim.stop();
await dispatcher.close();

console.log(
  JSON.stringify(
    {
      pattern,
      pagesAdvertised: sim.pages,
      readyMs: Math.round(readyMs),
      rssMbReady: rssReady,
      peakRssMb,
      passes: runs,
    },
    null,
    2,
  ),
);
