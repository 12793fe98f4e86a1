// Simulator benchmark: start `sim serve` as its own process, time until ready, then page through
// every page with limit=250 and body-format=storage, sampling the server's RSS along the way.
// Two passes show whether memory plateaus (bounded by one response) or grows with pages served.
// Usage: npx node bench/sim.ts [--pages 100000] [--passes 2]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { request } from 'undici';

const { values } = parseArgs({
  options: { pages: { type: 'string', default: '100000' }, passes: { type: 'string', default: '2' } },
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const started = performance.now();
const child = spawn(process.execPath, ['cli.ts', 'sim', 'serve', '--pages', values.pages, '--port', '0'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const line = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', resolve);
  child.once('exit', (code) => reject(new Error(`sim exited with ${code}`)));
});
const readyMs = performance.now() - started;
const ready = JSON.parse(line) as { baseUrl: string; email: string; token: string; pages: number };
const pid = child.pid!;
const rssReady = rssMb(pid);
const auth = `Basic ${Buffer.from(`${ready.email}:${ready.token}`).toString('base64')}`;

async function pullAll(): Promise<{
  count: number;
  bytes: number;
  requests: number;
  seconds: number;
  rssMax: number;
}> {
  let next: string | undefined = '/wiki/api/v2/pages?limit=250&body-format=storage&status=current';
  let count = 0;
  let bytes = 0;
  let requests = 0;
  let rssMax = 0;
  const start = performance.now();
  while (next) {
    const res = await request(ready.baseUrl + next, { headers: { authorization: auth } });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as { results: unknown[]; _links: { next?: string } };
    count += body.results.length;
    bytes += Buffer.byteLength(text);
    next = body._links.next;
    if (++requests % 20 === 0) rssMax = Math.max(rssMax, rssMb(pid));
  }
  return { count, bytes, requests, seconds: (performance.now() - start) / 1000, rssMax };
}

const passes = [];
for (let i = 0; i < Number(values.passes); i++) {
  const p = await pullAll();
  passes.push({
    pagesPulled: p.count,
    requests: p.requests,
    seconds: Math.round(p.seconds * 10) / 10,
    mbPulled: Math.round(p.bytes / 1e6),
    mbPerSecond: Math.round(p.bytes / 1e6 / p.seconds),
    rssMbMax: p.rssMax,
    rssMbAfter: rssMb(pid),
  });
}
child.kill('SIGTERM');

console.log(
  JSON.stringify(
    { pagesAdvertised: ready.pages, readyMs: Math.round(readyMs), rssMbReady: rssReady, passes },
    null,
    2,
  ),
);
