// Any start order on a fresh cluster: two transformers, two indexers and a pull started at the same
// moment on brand-new topics and schema subjects, several rounds over. Every process comes up (topic
// creation and schema registration race each other) and the run goes live with exactly the site's pages.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { servicesConfig } from '../lib/config.ts';
import type { StageHandle } from '../lib/consumer.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { indexerConfig } from '../indexer/config.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { startIndexer } from '../indexer/service.ts';
import { aliasName } from '../indexer/index-names.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull } from '../producer/run.ts';
import { startSim, type SimHandle } from '../sim/index.ts';
import { startTransformer, transformerConfig } from '../transformer/service.ts';
import { cleanUp, runDecided } from './indexer/fixtures.ts';
import { expectedPageIds } from './producer/helpers.ts';
import { isolatedEnv } from './stack/services.ts';

const log = createLogger('start-order');
log.level = 'fatal';
const SOURCE = 'start-order';
const ROUNDS = 3;

let sim: SimHandle;
const envs: Record<string, string>[] = [];

beforeAll(async () => {
  sim = await startSim({ seed: 31, spaces: 3, pages: 40 });
});

afterAll(async () => {
  await sim?.close().catch(() => {});
  for (const env of envs) await cleanUp(servicesConfig(env));
});

for (let round = 1; round <= ROUNDS; round++) {
  it(`round ${round}: everything started at once on new topics and subjects comes up, and the run goes live`, async () => {
    const env = isolatedEnv(`start-${round}`, {
      CONFLUENCE_BASE_URL: sim.baseUrl,
      CONFLUENCE_EMAIL: sim.email,
      CONFLUENCE_API_TOKEN: sim.token,
      SOURCE_ID: SOURCE,
    });
    envs.push(env);
    const started = await Promise.allSettled([
      startTransformer(transformerConfig(env), { log, progressEvery: 0 }),
      startTransformer(transformerConfig(env), { log, progressEvery: 0 }),
      startIndexer(indexerConfig(env), { log }),
      startIndexer(indexerConfig(env), { log }),
      runPull(producerConfig(env), { log }),
    ]);
    const stages = started
      .slice(0, 4)
      .flatMap((s) => (s.status === 'fulfilled' ? [s.value as StageHandle] : []));
    try {
      const failures = started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
      expect(failures).toEqual([]);
      const pull = (started[4] as PromiseFulfilledResult<Awaited<ReturnType<typeof runPull>>>).value;
      expect(pull.status, pull.error ?? '').toBe('SUCCEEDED');
      const cfg = servicesConfig(env);
      const es = createElasticsearch(cfg);
      try {
        const state = await runDecided(createRunStore(es, cfg.indexPrefix), pull.runId, 120_000);
        expect(state.status, state.reason ?? '').toBe('flipped');
        const hits = await es.search({
          index: aliasName(cfg.indexPrefix, SOURCE),
          size: 1000,
          _source: false,
        });
        expect(hits.hits.hits.map((h) => h._id).sort()).toEqual(expectedPageIds(sim));
      } finally {
        await es.close();
      }
      // Still up after the run: no stage crashed on the way.
      const settled = await Promise.race([
        Promise.allSettled(stages.map((s) => s.done)).then(() => 'ended'),
        new Promise((r) => setTimeout(() => r('running'), 200)),
      ]);
      expect(settled).toBe('running');
    } finally {
      await Promise.all(stages.map((s) => s.stop()));
    }
  });
}
