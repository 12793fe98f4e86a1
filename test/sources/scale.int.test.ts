// Two sources-service instances, each its own process, share the sources through Kafka's group
// membership. One is killed (SIGKILL) mid-pull: its sources are pulled by the other on their next
// slot, and the runs topic shows that no source was ever pulled twice at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servicesConfig } from '../../lib/config.ts';
import { createKafka, partitionOf } from '../../lib/kafka.ts';
import { createLogger } from '../../lib/log.ts';
import { createCodecs } from '../../lib/registry.ts';
import { readRuns } from '../../lib/runs.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { startIndexer } from '../../indexer/service.ts';
import type { StageHandle } from '../../lib/consumer.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { startTransformer, transformerConfig } from '../../transformer/service.ts';
import { parseDuration } from '../../lib/duration.ts';
import { dueAt, scheduleInputOf } from '../../sources/schedule.ts';
import { eventually } from '../indexer/fixtures.ts';
import { apiClient, cleanUpSources, sourcesEnv, type Api } from './helpers.ts';

interface Instance {
  child: ChildProcess;
  /** Its instance id, as it signs the status records it writes. */
  id: string;
  url: string;
  api: Api;
  log: string[];
  exited: Promise<NodeJS.Signals | null>;
}

const env = sourcesEnv('src-scale', { SOURCES_TOPIC_PARTITIONS: '6', PRODUCER_CONCURRENCY: '1' });
let transformer: StageHandle;
let indexer: StageHandle;
const sims: SimHandle[] = [];
const instances: Instance[] = [];

async function startInstance(): Promise<Instance> {
  const child = spawn(
    'node_modules/.bin/node',
    ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'sources'],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log: string[] = [];
  child.stderr!.on('data', (d: Buffer) => log.push(d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_c, signal) => resolve(signal)),
  );
  const [id, url] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /sources service (\S+): API at (http:\/\/[^\s,]+)\/api/.exec(out);
      if (m) resolve([m[1]!, m[2]!]);
    });
    child.once('exit', () => reject(new Error(`the sources service exited: ${log.join('').slice(-2000)}`)));
  });
  const instance = { child, id, url, api: apiClient(url), log, exited };
  instances.push(instance);
  return instance;
}

beforeAll(async () => {
  const quiet = createLogger('test');
  quiet.level = 'warn';
  transformer = await startTransformer(transformerConfig(env), { log: quiet, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log: quiet });
});
afterAll(async () => {
  for (const i of instances)
    if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGTERM');
  await Promise.all(instances.map((i) => i.exited));
  await transformer?.stop();
  await indexer?.stop();
  for (const sim of sims) await sim.close();
  await cleanUpSources(env);
});

/** Source ids spread over all six partitions of the sources topic, so both instances get some. */
function spreadIds(n: number): string[] {
  const ids: string[] = [];
  const used = new Set<number>();
  for (let i = 0; ids.length < n; i++) {
    const id = `scale-${i}`;
    const p = partitionOf(id, 6);
    if (used.has(p) && used.size < 6) continue;
    used.add(p);
    ids.push(id);
  }
  return ids;
}

describe('two scheduler instances', () => {
  it('take over a killed instance’s sources on their next slot, never pulling one source twice at once', async () => {
    const a = await startInstance();
    const b = await startInstance();
    const ids = spreadIds(6);
    for (const [n, id] of ids.entries()) {
      // Pulls of a few seconds: 4 spaces, one at a time, every request delayed.
      const sim = await startSim({ seed: 100 + n, spaces: 4, pages: 80, latencyMs: 400 });
      sims.push(sim);
      const r = await a.api('POST', '/api/sources', {
        id,
        baseUrl: sim.baseUrl,
        email: sim.email,
        token: sim.token,
        schedule: { every: '15s' },
      });
      expect(r.status, r.text).toBe(201);
    }
    // Both instances pull: each owns some of the sources.
    await eventually(
      async () => {
        const list = (await b.api('GET', '/api/sources')).body as {
          id: string;
          status: { owner: string | null };
        }[];
        const set = new Set(list.map((s) => s.status.owner).filter(Boolean));
        return list.length === ids.length && list.every((s) => s.status.owner) && set.size === 2
          ? list
          : undefined;
      },
      'both instances pulling',
      90_000,
    );
    // Kill instance a while one of its pulls is running.
    const victim = await eventually(
      async () => {
        const list = (await b.api('GET', '/api/sources')).body as {
          id: string;
          status: { owner: string; running: { startedAt: number } | null };
        }[];
        return list.find((s) => s.status.running && s.status.owner === a.id);
      },
      'a pull running on the instance to kill',
      90_000,
    );
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');

    // Its source is pulled again, by the survivor, and goes live.
    const after = await eventually(
      async () => {
        const s = (await b.api('GET', `/api/sources/${victim.id}`)).body;
        return s.status.lastRun &&
          s.status.lastRun.startedAt > killedAt &&
          s.status.lastRun.status === 'SUCCEEDED'
          ? s
          : undefined;
      },
      `${victim.id} pulled by the surviving instance`,
      120_000,
    );
    expect(after.status.owner).toBe(b.id);
    // On its next slot: the first one of its grid after the killed pull's start.
    const record = {
      id: after.id,
      createdAt: after.createdAt,
      schedule: { everyMs: parseDuration(after.schedule.every)!, paused: false },
      runRequestedAt: null,
    };
    const next = dueAt(
      scheduleInputOf(record, victim.status.running!.startedAt, parseDuration(env.SOURCES_MAX_JITTER!)!),
    );
    expect(after.status.lastRun.startedAt).toBeGreaterThanOrEqual(next!);
    // Every source keeps being pulled: all of them have a pull that started after the kill.
    await eventually(
      async () => {
        const list = (await b.api('GET', '/api/sources')).body as {
          status: { lastRun: { startedAt: number } | null };
        }[];
        return list.every((s) => (s.status.lastRun?.startedAt ?? 0) > killedAt);
      },
      'every source pulled after the kill',
      120_000,
    );

    // No two runs of one source overlap (a killed run ends, for this purpose, when it was killed).
    const cfg = servicesConfig(env);
    const kafka = createKafka(cfg, 'test-runs', createLogger('test-runs'));
    const runs = [...(await readRuns(kafka, await createCodecs(cfg))).values()];
    for (const id of ids) {
      const mine = runs.filter((r) => r.sourceId === id).sort((x, y) => x.startedAt - y.startedAt);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < mine.length; i++) {
        const previousEnd = mine[i - 1]!.endedAt ?? killedAt;
        expect(
          mine[i]!.startedAt,
          `${id}: run ${mine[i]!.runId} started before ${mine[i - 1]!.runId} ended`,
        ).toBeGreaterThanOrEqual(previousEnd);
      }
    }
    const unfinished = runs.filter((r) => r.status === 'RUNNING');
    expect(unfinished.map((r) => r.sourceId)).toContain(victim.id);
  });
});
