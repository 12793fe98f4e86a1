// Several simulated sites through the sources service on the real stack, as an admin would drive it:
// connect (a bad token refused, nothing stored), pull on short schedules and go live, watch a pull's
// progress while it runs, run now without doubling a running pull, pause, change the scope, a site
// that starts failing, delete. Last, the token of every source is looked for everywhere it must not be.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka } from '../../lib/kafka.ts';
import { indexLatest } from '../../lib/latest-pages.ts';
import { createLogger } from '../../lib/log.ts';
import { servicesConfig } from '../../lib/config.ts';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { startSim, type SimHandle, type User } from '../../sim/index.ts';
import { eventually } from '../indexer/fixtures.ts';
import { captureLogger, expectedPageIds } from '../producer/helpers.ts';
import { answers, cleanUpSources, sourceUntil, sourcesEnv, startPipeline, type Pipeline } from './helpers.ts';

const user = (email: string, token: string): User => ({
  email,
  token,
  accountId: `712020:${email}`,
  access: 'full',
  hiddenSpaceKeys: [],
});
const TOKENS = { a: 'tokA-7c1d2e3f4a5b6c7d', b: 'tokB-1a2b3c4d5e6f7a8b', p: 'tokP-9f8e7d6c5b4a3f2e' };

let simA: SimHandle;
let simB: SimHandle;
let simP: SimHandle;
let p: Pipeline;
const captured = captureLogger();

beforeAll(async () => {
  simA = await startSim({ seed: 21, spaces: 3, pages: 60, users: [user('a@example.com', TOKENS.a)] });
  simB = await startSim({ seed: 22, spaces: 4, pages: 80, users: [user('b@example.com', TOKENS.b)] });
  // Slow enough that a pull lasts a few seconds: 12 spaces, one listing each, 4 at a time.
  simP = await startSim({ seed: 23, spaces: 12, pages: 1200, users: [user('p@example.com', TOKENS.p)] });
  p = await startPipeline(sourcesEnv('src-life'), { log: captured.log });
});
afterAll(async () => {
  await p?.stop();
  for (const sim of [simA, simB, simP]) await sim?.close();
  if (p) await cleanUpSources(p.env);
});

const connect = (id: string, sim: SimHandle, token: string, schedule: object) =>
  p.api('POST', '/api/sources', { id, baseUrl: sim.baseUrl, email: sim.email, token, schedule });

const liveTotal = (sim: SimHandle) => expectedPageIds(sim, sim.email).length;

describe('sources on the real stack', () => {
  it('connects two sites and refuses a third with a bad token (nothing stored); both pull and go live', async () => {
    const bad = await connect('site-bad', simA, 'wrong-token-for-a', { every: '10s' });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/rejected the credentials|401/);
    expect(bad.body.hint).toBeTruthy();
    expect((await connect('site-a', simA, TOKENS.a, { every: '10s' })).status).toBe(201);
    expect((await connect('site-b', simB, TOKENS.b, { every: '10s' })).status).toBe(201);
    expect((await p.api('GET', '/api/sources')).body.map((s: { id: string }) => s.id)).toEqual([
      'site-a',
      'site-b',
    ]);
    for (const [id, sim] of [
      ['site-a', simA],
      ['site-b', simB],
    ] as const) {
      const s = await sourceUntil(
        p.api,
        id,
        (x) =>
          x.live?.pages.total === liveTotal(sim) &&
          x.live.wentLiveAt !== null &&
          x.runs.some((r: { status: string; live: boolean }) => r.status === 'flipped' && r.live),
        `${id} live`,
      );
      expect(s.live.pages.public + s.live.pages.internal).toBe(s.live.pages.total);
      expect(s.live.wentLiveAt).toEqual(expect.any(Number));
      expect(s.runs.some((r: { status: string; live: boolean }) => r.status === 'flipped' && r.live)).toBe(
        true,
      );
      expect(s.status.lastRun.status).toBe('SUCCEEDED');
      const pages = await p.api('GET', `/api/sources/${id}/pages?size=5`);
      expect(pages.body.total).toBe(liveTotal(sim));
      expect(pages.body.pages).toHaveLength(5);
      expect(pages.body.pages[0]).toMatchObject({ url: expect.stringContaining(sim.baseUrl) });
    }
    expect((await p.api('GET', '/api/sources/site-bad')).status).toBe(404);
  });

  it('shows a running pull’s progress while it runs, and run now does not start a second pull', async () => {
    expect((await connect('site-p', simP, TOKENS.p, { paused: true })).status).toBe(201);
    simP.admin.configure({ latencyMs: 700 });
    expect((await p.api('POST', '/api/sources/site-p/runs')).status).toBe(202);
    const seen: number[] = [];
    let refused = false;
    await eventually(
      async () => {
        const s = (await p.api('GET', '/api/sources/site-p')).body;
        if (s.status.running) {
          seen.push(s.status.running.pages);
          if (!refused) {
            const again = await p.api('POST', '/api/sources/site-p/runs');
            expect(again.status).toBe(409);
            expect(again.body.error).toMatch(/is running/);
            refused = true;
          }
        }
        return seen.length > 0 && !s.status.running && s.status.lastRun?.status === 'SUCCEEDED';
      },
      'site-p pulled',
      300_000,
    );
    simP.admin.configure({ latencyMs: 0 });
    expect(refused).toBe(true);
    const distinct = [...new Set(seen)];
    expect(distinct.length).toBeGreaterThanOrEqual(2);
    expect(distinct).toEqual([...distinct].sort((x, y) => x - y));
    expect(distinct.at(-1)!).toBeGreaterThan(0);
    const s = await sourceUntil(
      p.api,
      'site-p',
      (x) => x.live?.pages.total === liveTotal(simP),
      'site-p live',
      300_000,
    );
    // One pull: the refused run now started none.
    expect(s.runs).toHaveLength(1);
  }, 600_000);

  it('pause stops the schedule while the other source keeps being pulled', async () => {
    const paused = (await p.api('POST', '/api/sources/site-a/pause')).body;
    expect(paused.schedule.paused).toBe(true);
    // A pull already running when it was paused finishes; none starts after it.
    const before = await sourceUntil(p.api, 'site-a', (x) => !x.status.running, 'site-a idle');
    const startsB = (await p.api('GET', '/api/sources/site-b')).body.status.lastRun.startedAt;
    await eventually(
      async () => {
        const b = (await p.api('GET', '/api/sources/site-b')).body.status.lastRun;
        return b.startedAt > startsB + 10_000; // site-b: two slots later
      },
      'site-b pulled twice more',
      180_000,
    );
    const after = (await p.api('GET', '/api/sources/site-a')).body;
    expect(after.status.nextRunAt).toBeNull();
    expect(after.status.running).toBeNull();
    expect(after.status.lastRun.startedAt).toBe(before.status.lastRun.startedAt);
  }, 300_000);

  it('a scope change drops the excluded space’s pages at the next flip (a shrink past the guard is held, then released)', async () => {
    const before = (await p.api('GET', '/api/sources/site-b')).body.live;
    // The biggest space: excluding it may shrink the site past the guard (50%), which holds the run.
    const counts = await Promise.all(
      simB.admin.info().spaces.map(async (sp) => ({
        key: sp.key,
        pages: (await p.api('GET', `/api/sources/site-b/pages?space=${encodeURIComponent(sp.key)}&size=1`))
          .body.total as number,
      })),
    );
    const space = counts.sort((x, y) => y.pages - x.pages)[0]!;
    expect(space.pages).toBeGreaterThan(0);
    const held = space.pages > before.pages.total / 2;
    const changed = await p.api('PATCH', '/api/sources/site-b', { scope: { exclude: [space.key] } });
    expect(changed.status, changed.text).toBe(200);
    const newest = await eventually(
      async () => {
        const runs = (await p.api('GET', '/api/sources/site-b/runs?limit=5')).body;
        const run = runs.find(
          (r: { pagesTotal?: number; status: string }) =>
            r.pagesTotal === before.pages.total - space.pages && r.status !== 'indexing',
        );
        return run;
      },
      'a run of site-b without the space decided',
      120_000,
    );
    expect(newest.status).toBe(held ? 'held' : 'flipped');
    if (held) {
      const released = await p.api('POST', `/api/sources/site-b/runs/${newest.runId}/release`);
      expect(released.status, released.text).toBe(200);
      expect(released.body).toMatchObject({ runId: newest.runId, status: 'flipped' });
    }
    const s = await sourceUntil(
      p.api,
      'site-b',
      (x) => x.live && x.live.pages.total === before.pages.total - space.pages,
      'site-b live without the space',
    );
    expect(s.live.runId).not.toBe(before.runId);
    expect(
      (await p.api('GET', `/api/sources/site-b/pages?space=${encodeURIComponent(space.key)}`)).body.total,
    ).toBe(0);
  });

  it('a site that starts failing keeps its old alias while the others go on', async () => {
    // Settled first: no pull running, and the newest run decided (none about to flip).
    const settled = await sourceUntil(
      p.api,
      'site-b',
      (x) =>
        !x.status.running &&
        x.runs[0]?.status !== 'indexing' &&
        x.live?.runId === x.runs.find((r: { live: boolean }) => r.live)?.runId,
      'site-b settled',
    );
    await p.api('POST', '/api/sources/site-b/pause');
    const before = settled.live;
    simB.admin.setFaultRates({ '500': 1 });
    expect((await p.api('POST', '/api/sources/site-b/runs')).status).toBe(202);
    const failed = await sourceUntil(
      p.api,
      'site-b',
      (x) => x.status.lastRun?.status === 'FAILED' && !x.status.running,
      'site-b failed',
    );
    expect(failed.status.lastRun.error).toMatch(/500/);
    expect(failed.live).toMatchObject({ runId: before.runId, pages: before.pages });
    // site-p is pulled again on demand meanwhile, a full run as asked (unchanged since its last run,
    // a refresh would fetch no body), and goes live.
    const runsP = (await p.api('GET', '/api/sources/site-p')).body.runs;
    simP.admin.traffic.reset();
    const asked = await p.api('POST', '/api/sources/site-p/runs', { full: true });
    expect(asked.status, asked.text).toBe(202);
    expect(asked.body.full).toBe(true);
    const again = await sourceUntil(
      p.api,
      'site-p',
      (x) => x.runs.length === runsP.length + 1 && x.runs[0].status === 'flipped',
      'site-p again',
    );
    expect(again.runs[0].baseRunId ?? null).toBeNull();
    expect(simP.admin.traffic.total.bodies).toBe(liveTotal(simP));
    simB.admin.clearFaults();
  });

  it('delete stops the schedule and removes the alias, its indices, its latest pages and the stored token, and says so', async () => {
    const latest = (sourceId: string) => {
      const kafka = createKafka(p.services, 'test-latest', createLogger('test-latest'));
      return indexLatest(kafka, p.services.topics.latestPages, sourceId);
    };
    const kept = (await latest('site-a')).pages.size;
    expect(kept).toBeGreaterThan(0);
    const removed = await p.api('DELETE', '/api/sources/site-a');
    expect(removed.status, removed.text).toBe(200);
    expect(removed.body).toMatchObject({ sourceId: 'site-a', record: true, token: true });
    expect(removed.body.indices.length).toBeGreaterThan(0);
    // Its pages are tombstoned in the latest-pages topic; the other sources' stay.
    expect(removed.body.latestPages).toBe(kept);
    expect((await latest('site-a')).pages.size).toBe(0);
    expect((await latest('site-b')).pages.size).toBeGreaterThan(0);
    const es = createElasticsearch(p.services);
    expect(await es.indices.existsAlias({ name: removed.body.alias })).toBe(false);
    for (const index of removed.body.indices) expect(await es.indices.exists({ index })).toBe(false);
    await es.close();
    expect((await p.api('GET', '/api/sources/site-a')).status).toBe(404);
    expect((await p.api('GET', '/api/sources')).body.map((s: { id: string }) => s.id)).toEqual([
      'site-b',
      'site-p',
    ]);
  });

  it('no token appears in API answers, logs, topics (the sources topic holds ciphertext), metrics or errors', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${p.sources.service.port}/metrics`)).text();
    expect(metrics).toContain('sources_pulls_total');
    const topics = await topicTexts(p.env);
    expect(topics.sources).toContain('"alg":"A256GCM"');
    const forms = (email: string, token: string) => [
      token,
      Buffer.from(token).toString('base64'),
      Buffer.from(`${email}:${token}`).toString('base64'),
    ];
    const places = {
      answers: answers.join('\n'),
      logs: captured.lines.join('\n'),
      metrics,
      ...topics,
    };
    expect(captured.lines.length).toBeGreaterThan(10);
    for (const [name, text] of Object.entries(places))
      for (const secret of [
        ...forms('a@example.com', TOKENS.a),
        ...forms('b@example.com', TOKENS.b),
        ...forms('p@example.com', TOKENS.p),
      ])
        expect(text.includes(secret), `${secret} in ${name}`).toBe(false);
  });
});

/** Every record of every topic the test used, as text. */
async function topicTexts(env: Record<string, string>): Promise<Record<string, string>> {
  const cfg = servicesConfig(env);
  const kafka = createKafka(cfg, 'test-grep', createLogger('test-grep'));
  const topics = {
    sources: env.TOPIC_SOURCES!,
    status: env.TOPIC_SOURCE_STATUS!,
    raw: cfg.topics.rawPages,
    html: cfg.topics.htmlPages,
    runs: cfg.topics.runs,
    latest: cfg.topics.latestPages,
  };
  const admin = kafka.admin();
  await admin.connect();
  const out: Record<string, string> = {};
  for (const [name, topic] of Object.entries(topics)) {
    const offsets = await admin.fetchTopicOffsets(topic);
    const want = offsets.reduce((n, o) => n + Number(BigInt(o.high) - BigInt(o.low)), 0);
    const chunks: string[] = [];
    const consumer = kafka.consumer({ groupId: `grep-${name}-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen++;
        chunks.push(message.key?.toString('latin1') ?? '', message.value?.toString('latin1') ?? '');
      },
    });
    await eventually(async () => seen >= want, `all of ${topic} read`, 60_000);
    await consumer.disconnect();
    out[name] = chunks.join('\n');
  }
  await admin.disconnect();
  return out;
}
