// Compression benchmark: the codecs a producer may send page batches with (lib/kafka.ts), on batches
// like the producer's (~500 KB of simulated pages each), one core: CPU to compress and to decompress,
// and the ratio. Prints one line per codec; figures go to bench/README.md#compression.
//
//   node bench/compression.ts [--pages 4000]
import { parseArgs } from 'node:util';
import { COMPRESSIONS, CompressionCodecs, compressionType } from '../lib/kafka.ts';
import { generateBodies } from '../sim/index.ts';

const SEND_BYTES = 500_000; // producer/run-writer.ts's MAX_SEND_BYTES

const { values } = parseArgs({ options: { pages: { type: 'string', default: '4000' } } });
const batches: Buffer[] = [];
let batch: Buffer[] = [];
let size = 0;
for (const page of generateBodies(Number(values.pages))) {
  const record = Buffer.from(JSON.stringify(page));
  batch.push(record);
  size += record.length;
  if (size >= SEND_BYTES) {
    batches.push(Buffer.concat(batch));
    batch = [];
    size = 0;
  }
}
if (batch.length > 0) batches.push(Buffer.concat(batch));
const total = batches.reduce((n, b) => n + b.length, 0);

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

console.log(`${values.pages} pages in ${batches.length} batches, ${(total / 1e6).toFixed(1)} MB`);
for (const name of COMPRESSIONS.filter((c) => c !== 'none')) {
  const type = compressionType(name);
  const codec = (
    CompressionCodecs as Record<
      number,
      () => {
        compress(e: { buffer: Buffer }): Promise<Buffer>;
        decompress(b: Buffer): Promise<Buffer>;
      }
    >
  )[type]!();
  // One at a time so the thread pool's CPU is measured as this process's, not overlapped.
  let t = process.cpuUsage();
  const out: Buffer[] = [];
  for (const b of batches) out.push(await codec.compress({ buffer: b }));
  const compressMs = cpuMs(t);
  t = process.cpuUsage();
  for (const b of out) await codec.decompress(b);
  const decompressMs = cpuMs(t);
  const bytes = out.reduce((n, b) => n + b.length, 0);
  console.log(
    `${name.padEnd(5)} ratio ${(total / bytes).toFixed(1)}×, ${(bytes / 1e6).toFixed(2)} MB; CPU compress ${compressMs.toFixed(0)} ms ` +
      `(${((compressMs / total) * 1e6).toFixed(1)} ms/MB), decompress ${decompressMs.toFixed(0)} ms`,
  );
}
