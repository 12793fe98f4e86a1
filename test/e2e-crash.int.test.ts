// Crash safety end to end (invariant 4): the producer, a real `npm run producer -- run` process, is
// SIGKILLed mid-pull — no ABORT, no END. The alias never moves to the killed run, the stale timeout
// fails it, and the next full pull completes and flips.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { servicesConfig } from '../lib/config.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { startIndexer } from '../indexer/service.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { isDecided, type RunState } from '../indexer/completion.ts';
import { aliasName } from '../indexer/index-names.ts';
import { cleanUp, eventually, runDecided } from './indexer/fixtures.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('e2e-crash');
log.level = 'warn';
const SOURCE = 'crash-site';
// Long enough that a busy machine (indexer lag of several seconds) never fails a healthy run.
const STALE_SECONDS = 10;

let sim: SimHandle;
let env: Record<string, string>;
let transformer: StageHandle;
let indexer: StageHandle;
let child: ChildProcess | undefined;
const services = () => servicesConfig(env);
const es = () => createElasticsearch(services());

beforeAll(async () => {
  sim = await startSim({ seed: 77, spaces: 6, pages: 1500 });
  env = isolatedEnv('e2e-crash', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: SOURCE,
    INDEXER_SWEEP_SECONDS: '1',
    INDEX_STALE_RUN_MINUTES: String(STALE_SECONDS / 60),
  });
  transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  indexer = await startIndexer(indexerConfig(env), { log });
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await transformer?.stop();
  await indexer?.stop();
  await sim?.close().catch(() => {});
  if (env) await cleanUp(services());
});

async function pull(): Promise<RunState> {
  const summary = await runPull(producerConfig(env), { log });
  expect(summary.status, summary.error ?? '').toBe('SUCCEEDED');
  const state = await decided(summary.runId);
  expect(state.status, state.reason ?? '').toBe('flipped');
  return state;
}

async function decided(runId: string): Promise<RunState> {
  const client = es();
  const store = createRunStore(client, services().indexPrefix);
  try {
    return await runDecided(store, runId);
  } finally {
    await client.close();
  }
}

it('a producer killed mid-run never goes live, ends failed, and the next pull flips', async () => {
  const client = es();
  const store = createRunStore(client, services().indexPrefix);
  const alias = aliasName(services().indexPrefix, SOURCE);
  const aliasIndices = async () => Object.keys(await client.indices.getAlias({ name: alias }));
  try {
    const first = await pull();
    expect(await aliasIndices()).toEqual([first.index]);

    // A pull that takes several seconds (every API request delayed), in its own process.
    sim.admin.configure({ latencyMs: 700 });
    let stderr = '';
    child = spawn(
      'node_modules/.bin/node',
      ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'producer', 'run'],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child!.once('exit', (_code, signal) => resolve(signal)),
    );

    // Killed once its run has reached the indexer and some of its pages are indexed.
    const killed = await eventually(
      async () => {
        const [run] = (await store.list({ sourceId: SOURCE })).filter((r) => r.runId !== first.runId);
        if (!run || !(await client.indices.exists({ index: run.index }))) return undefined;
        await client.indices.refresh({ index: run.index });
        return (await client.count({ index: run.index })).count > 0 ? run : undefined;
      },
      `the child's run to be indexing (child stderr: ${stderr})`,
      30_000,
    );
    expect(child.exitCode, `the child finished before it was killed: ${stderr}`).toBeNull();
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(killed.status).toBe('indexing');
    sim.admin.configure({ latencyMs: 0 });

    // Until the stale timeout decides it, the alias stays on the first run, every time we look.
    const stale = await eventually(async () => {
      expect(await aliasIndices()).toEqual([first.index]);
      const s = await store.get(killed.runId);
      return s && isDecided(s) ? s : undefined;
    }, 'the killed run decided');
    expect(stale).toMatchObject({
      status: 'failed',
      reason: `no END from the producer within ${STALE_SECONDS} seconds: the producer likely died mid-run; the next run replaces it`,
    });
    expect(stale.flippedAt ?? null).toBeNull();
    expect(await aliasIndices()).toEqual([first.index]);

    // The next full pull completes and flips; the killed run stays failed.
    const next = await pull();
    expect(await aliasIndices()).toEqual([next.index]);
    expect((await client.count({ index: alias })).count).toBe(next.docs);
    expect(await store.get(killed.runId)).toMatchObject({ status: 'failed', reason: stale.reason });
  } finally {
    await client.close();
  }
});
