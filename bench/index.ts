// Indexer benchmark: 20,000 HTML pages (~8 KB each) written to the HTML topic, then indexed by the real
// indexer into the local single-node Elasticsearch until the alias flips. Prints docs/s, MB/s, flip
// latency and the indexer's peak RSS; then what it costs a refresh to start as a copy of that live
// index, three ways (COPY=0 skips it). `npm run bench:index` (PAGES=… to change the size).
import { randomBytes } from 'node:crypto';
import { servicesConfig, pipelineNames } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { indexerConfig } from '../indexer/config.ts';
import { isDecided, isFlipped } from '../indexer/completion.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { startIndexer } from '../indexer/service.ts';
import { measureCopies } from './index-copy.ts';
import { cpuSeconds, serverPids } from './pipeline.ts';
import { cleanUp, openHtmlTopic, page } from '../test/indexer/fixtures.ts';

const PAGES = Number(process.env.PAGES ?? 20_000);
const id = `bench-index-${randomBytes(3).toString('hex')}`;
const env = {
  ...process.env,
  ...pipelineNames(id),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const cfg = indexerConfig(env);
// Pages shaped like the converter's output of the simulator's realistic site (≈ 25 KB of JSON each:
// HTML with markup, the text, and four sections holding the text again), over a vocabulary of 5,000
// words drawn with a Zipf-like skew, so Elasticsearch builds a term dictionary of realistic size.
const vocabulary = Array.from({ length: 5_000 }, (_, i) =>
  `w${(i * 2_654_435_761) % 1_000_003}`.replace(/[0-9]/g, (d) => 'aeioukrstn'[Number(d)]!),
);
const prose = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => {
    const x = Math.sin(seed * 12.9898 + i * 78.233) * 43_758.5453;
    return vocabulary[Math.floor(vocabulary.length * (x - Math.floor(x)) ** 3)];
  }).join(' ');

function benchPage(i: number) {
  const sections = Array.from({ length: 4 }, (_, s) => ({
    anchor: `Heading-${s}`,
    path: [`Heading ${s}`],
    text: prose(250, i * 4 + s),
  }));
  const html = sections
    .map(
      (s) =>
        `<h2 id="${s.anchor}">${s.path[0]}</h2><p class="body">${s.text.replace(/(\S+ \S+ \S+ \S+ \S+ \S+ \S+ \S+)/g, '<strong>$1</strong>')}</p>`,
    )
    .join('');
  return page(String(100_000 + i), { html, text: sections.map((s) => s.text).join('\n'), sections });
}

console.log(`indexer bench: ${PAGES} pages, prefix ${id}`);
const topic = await openHtmlTopic(servicesConfig(env));
const run = await topic.start('bench');
let bytes = 0;
for (let i = 0; i < PAGES; i += 1000) {
  const batch = Array.from({ length: Math.min(1000, PAGES - i) }, (_, k) => benchPage(i + k));
  bytes += batch.reduce((n, p) => n + Buffer.byteLength(JSON.stringify(p)), 0);
  await topic.pages(run, batch);
}
await topic.end(run);
console.log(
  `written to Kafka: ${PAGES} pages, ${(bytes / 1e6).toFixed(1)} MB of documents (${(bytes / PAGES / 1024).toFixed(1)} KB each)`,
);

const es = createElasticsearch(cfg.services);
const store = createRunStore(es, cfg.services.indexPrefix);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
const { elasticsearch: esPid } = await serverPids(es);
const esCpuBefore = esPid ? cpuSeconds(esPid) : NaN;
const cpuBefore = process.cpuUsage();
const started = Date.now();
const indexer = await startIndexer(cfg, { log: createLogger('indexer') });
const flipped = async (runId: string) => {
  for (;;) {
    const state = await store.get(runId);
    if (state && isFlipped(state)) return state;
    if (state && isDecided(state)) throw new Error(`run ended ${state.status}: ${state.reason}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};
const state = await flipped(run.runId);
const done = Date.now();
const indexerCpu = process.cpuUsage(cpuBefore);
const esCpu = (esPid ? cpuSeconds(esPid) : NaN) - esCpuBefore;
clearInterval(sampler);

// A refresh of that version with 1% of the pages changed (half edited, a quarter removed, a quarter
// added), as the producer sends it: START naming the live run as its base, the changes, END counting
// every page of the new version. Timed from the first record written to the flip.
const changed = Math.max(4, Math.round(PAGES / 100));
const refreshStarted = Date.now();
const refresh = await topic.start('bench', { refresh: { baseRunId: run.runId, fullAt: refreshStarted } });
await topic.pages(
  refresh,
  Array.from({ length: changed / 2 }, (_, k) => ({ ...benchPage(k), version: 2 })),
);
const removed = Array.from({ length: changed / 4 }, (_, k) => benchPage(PAGES - 1 - k).pageId);
await topic.removals(
  refresh,
  removed.map((pageId) => ({ pageId, reason: 'deleted in Confluence' })),
);
await topic.pages(
  refresh,
  Array.from({ length: changed / 4 }, (_, k) => benchPage(PAGES + k)),
);
await topic.end(refresh, { pagesTotal: PAGES });
const refreshed = await flipped(refresh.runId);
const refreshSeconds = (refreshed.flippedAt! - refreshStarted) / 1000;
await indexer.stop();
await topic.close();

// Throughput from the first record the indexer saw (after joining the group) to all ENDs seen.
const indexingSeconds = (state.completedAt! - state.firstSeenAt) / 1000;
const result = {
  pages: PAGES,
  docsPerSecond: Math.round(PAGES / indexingSeconds),
  mbPerSecond: Number((bytes / 1e6 / indexingSeconds).toFixed(1)),
  indexingSeconds: Number(indexingSeconds.toFixed(1)),
  flipLatencyMs: state.flippedAt! - state.completedAt!,
  startToLiveSeconds: Number(((done - started) / 1000).toFixed(1)),
  peakRssMb: Math.round(peakRss / 1e6),
  // Start → live. Elasticsearch is shared: anyone else's requests meanwhile count too.
  cpuMsPerDoc: {
    indexer: Number(((indexerCpu.user + indexerCpu.system) / 1000 / PAGES).toFixed(3)),
    elasticsearch: Number(((esCpu * 1000) / PAGES).toFixed(3)),
  },
};
console.log(JSON.stringify(result));
console.log(
  JSON.stringify({ refresh: { changed, docs: refreshed.docs, startToLiveSeconds: refreshSeconds } }),
);
if (process.env.COPY !== '0') console.log(JSON.stringify(await measureCopies(es, cfg, state.index)));
await es.close();
await cleanUp(cfg.services);
