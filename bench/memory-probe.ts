// Loaded into a stage by bench/e2e-memory.ts (`node --import ./bench/memory-probe.ts …`): samples the
// process's memory every 50 ms and keeps, in BENCH_MEMORY_FILE (JSON, rewritten every second and at
// exit), the sample with the highest resident set and the highest value of each part seen in the run.
// The parts: V8's heap (committed and used, and each space's share at the peak), `external` (memory V8 is told about outside its heap,
// mostly Buffers: `arrayBuffers`), and the resident set split by the kernel into anonymous memory (heaps
// of V8 and glibc, Buffers) and file pages (the node binary, its ICU data, shared libraries).
import { readFileSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

export interface MemorySample {
  rss: number;
  rssAnon: number;
  rssFile: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface MemoryReport {
  /** The sample at the highest resident set. */
  atPeak: MemorySample;
  /** V8's heap spaces at that moment (MB committed): new, old, code, large objects, … */
  spacesAtPeak: Record<string, number>;
  /** Each part's highest value (not necessarily at the same moment). */
  max: MemorySample;
  samples: number;
}

const file = process.env.BENCH_MEMORY_FILE;
if (file) {
  const kB = (status: string, field: string) =>
    Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  const sample = (): MemorySample => {
    const status = readFileSync('/proc/self/status', 'utf8');
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    return {
      rss,
      rssAnon: kB(status, 'RssAnon'),
      rssFile: kB(status, 'RssFile'),
      heapTotal,
      heapUsed,
      external,
      arrayBuffers,
    };
  };
  const spaces = () =>
    Object.fromEntries(
      getHeapSpaceStatistics().map((sp) => [
        sp.space_name.replace(/_space$/, ''),
        Math.round(sp.space_size / 1024 / 1024),
      ]),
    );
  const report: MemoryReport = { atPeak: sample(), spacesAtPeak: spaces(), max: sample(), samples: 0 };
  const write = () => writeFileSync(file, JSON.stringify(report));
  let n = 0;
  setInterval(() => {
    const s = sample();
    report.samples++;
    if (s.rss >= report.atPeak.rss) {
      report.atPeak = s;
      report.spacesAtPeak = spaces();
    }
    for (const key of Object.keys(s) as (keyof MemorySample)[])
      report.max[key] = Math.max(report.max[key], s[key]);
    if (++n % 20 === 0) write();
  }, 50).unref();
  write();
  process.on('exit', write);
}
