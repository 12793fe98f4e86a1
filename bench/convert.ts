// Converter throughput on one core: pages/s and MB/s over generated pages (the simulator's own
// storage-format generator, so sizes and the element mix match what the sync will see).
//   npx node bench/convert.ts [--pages N] [--seed S]
import { parseArgs } from 'node:util';
import { convertPage } from '../transformer/convert.ts';
import { Rng } from '../sim/rng.ts';
import { generateBody } from '../sim/content.ts';

const { values } = parseArgs({
  options: { pages: { type: 'string', default: '6000' }, seed: { type: 'string', default: '42' } },
});
const count = Number(values.pages);
const seed = Number(values.seed);

const accountIds = [
  '557058:3f1e2d4c-aaaa-bbbb-cccc-123456789abc',
  '712020:f7609b63-0c1d-4a6e-9e51-2f1a3b4c5d6e',
];
const pages = Array.from({ length: count }, (_, i) => {
  const pageId = 10_000 + i;
  const title = `Page ${pageId}`;
  const spaceKey = i % 10 === 0 ? '~557058' : 'ENG';
  const body = generateBody({
    seed,
    pageId,
    version: 1,
    title,
    spaceKey,
    accountIds,
    linkTarget: (rng: Rng) => ({ title: `Page ${10_000 + rng.int(count)}`, spaceKey }),
    fullCatalogue: i % 500 === 0,
  });
  return {
    body,
    ctx: { baseUrl: 'https://acme.atlassian.net/wiki', spaceKey, pageId: String(pageId), title },
  };
});

const bytes = pages.reduce((n, p) => n + Buffer.byteLength(p.body), 0);
const sizes = pages.map((p) => Buffer.byteLength(p.body)).sort((a, b) => a - b);
const median = sizes[Math.floor(sizes.length / 2)] ?? 0;

// Warm up the JIT on a slice, then time the whole set.
for (const p of pages.slice(0, 500)) convertPage(p.body, p.ctx);
const times: number[] = [];
let outBytes = 0;
const t0 = performance.now();
for (const p of pages) {
  const t = performance.now();
  const out = convertPage(p.body, p.ctx);
  times.push(performance.now() - t);
  outBytes += out.html.length;
}
const seconds = (performance.now() - t0) / 1000;
times.sort((a, b) => a - b);
const pct = (q: number): string =>
  (times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? 0).toFixed(2);

console.log(
  `pages:        ${count} (median ${(median / 1024).toFixed(1)} KB, mean ${(bytes / count / 1024).toFixed(1)} KB, max ${((sizes.at(-1) ?? 0) / 1e6).toFixed(2)} MB, ${(bytes / 1e6).toFixed(1)} MB in all)`,
);
console.log(
  `time:         ${seconds.toFixed(2)} s on one core (output ${(outBytes / 1e6).toFixed(1)} MB of HTML)`,
);
console.log(
  `throughput:   ${Math.round(count / seconds)} pages/s per core, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s per core`,
);
console.log(`per page:     p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`);
