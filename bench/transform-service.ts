// Transformer service throughput on the real stack: a run of generated pages (the simulator's own
// site and storage bodies) is written to a raw topic, then the service is started and timed until
// END has passed on every partition. Prints pages/s and MB/s; topics are removed afterwards.
//   npm run bench:transform -- [--pages 5000] [--seed 1]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createKafka } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import { createLogger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import { newRunId } from '../lib/run-id.ts';
import type { Space } from '../schemas/index.ts';
import { generateBodies } from '../sim/index.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { rawPage, rawRunWriter } from '../test/transformer/service-helpers.ts';
import { pipelineNames } from '../lib/config.ts';

const { values } = parseArgs({
  options: { pages: { type: 'string', default: '5000' }, seed: { type: 'string', default: '1' } },
});
const count = Number(values.pages);
const id = `bench-transform-${randomBytes(3).toString('hex')}`;
const cfg = transformerConfig({
  ...process.env,
  ...pipelineNames(id),
  TRANSFORMER_GROUP_ID: `${id}-transformer`,
});
const log = createLogger('bench', { bench: 'transform-service' });
log.level = 'warn';

// The generated site also holds drafts and trashed pages: ask for more, keep `count` current ones.
const spaces = new Map<string, Space>();
const pages = [...generateBodies(Math.ceil(count * 1.2), { seed: Number(values.seed) })]
  .slice(0, count)
  .map((g) => {
    const personal = g.spaceKey.startsWith('~');
    const space = spaces.get(g.spaceKey) ?? {
      id: String(spaces.size + 1),
      key: g.spaceKey,
      name: `Space ${g.spaceKey}`,
      type: personal ? 'personal' : 'global',
      status: 'current',
    };
    spaces.set(g.spaceKey, space);
    return rawPage(g.pageId, g.body, space, {
      title: g.title,
      url: `${g.baseUrl}/spaces/${encodeURIComponent(g.spaceKey)}/pages/${g.pageId}`,
    });
  });
if (pages.length < count)
  throw new Error(`the generator gave ${pages.length} current pages, fewer than ${count}`);
const rawBytes = pages.reduce((n, p) => n + Buffer.byteLength(p.body), 0);

const kafka = createKafka(cfg, 'bench-transform', log);
await ensureTopics(kafka, cfg);
const codecs = await createCodecs(cfg);
const producer = kafka.producer();
await producer.connect();
const raw = rawRunWriter(producer, codecs.rawPages, {
  runId: newRunId(),
  sourceId: 'bench',
  partitions: cfg.partitions,
});
await raw.start();
await raw.pages(pages);
await raw.end();
await producer.disconnect();

const started = performance.now();
const cpuBefore = process.cpuUsage();
const transformer = await startTransformer(cfg, { log, progressEvery: 0 });
const counter = async (name: string, kind?: string) =>
  ((await transformer.metrics.getSingleMetric(name)?.get())?.values ?? [])
    .filter((v) => kind === undefined || v.labels.kind === kind)
    .reduce((n, v) => n + v.value, 0);
let firstPage = 0;
while ((await counter('transformer_markers_total', 'END')) < cfg.partitions) {
  if (!firstPage && (await counter('transformer_pages_total')) > 0) firstPage = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const finished = performance.now();
const cpu = process.cpuUsage(cpuBefore);
const failures = await counter('transformer_failures_total');
await transformer.stop();

const admin = kafka.admin();
await admin.connect();
await admin.deleteTopics({ topics: Object.values(cfg.topics) });
await admin.disconnect();

const steady = (finished - firstPage) / 1000;
const total = (finished - started) / 1000;
const mb = rawBytes / 1024 / 1024;
console.log(
  JSON.stringify({
    pages: count,
    partitions: cfg.partitions,
    rawMB: Number(mb.toFixed(1)),
    failures,
    pagesPerSecond: Math.round(count / steady),
    mbPerSecond: Number((mb / steady).toFixed(1)),
    secondsFirstPageToLastEnd: Number(steady.toFixed(2)),
    secondsIncludingStartup: Number(total.toFixed(2)),
    // Near secondsIncludingStartup: this process (conversion, Avro, kafkajs) is the bottleneck;
    // well below it: the broker or the machine's other load is.
    cpuSecondsThisProcess: Number(((cpu.user + cpu.system) / 1e6).toFixed(2)),
  }),
);
