// The flip is atomic: searches running through it never fail and never see an empty or mixed alias.
import { afterAll, expect, it } from 'vitest';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import { startIndexer } from '../../indexer/service.ts';
import { isolatedEnv } from '../stack/services.ts';
import { cleanUp, eventually, openHtmlTopic, pages } from './fixtures.ts';

const cfg = indexerConfig(isolatedEnv('indexer-flip'));
const source = 'acme';
const alias = `${cfg.services.indexPrefix}-${source}`;
const es = createElasticsearch(cfg.services);
const store = createRunStore(es, cfg.services.indexPrefix);

afterAll(async () => {
  await es.close();
  await cleanUp(cfg.services);
});

it('searches during a flip see the old run, then the new one, never nothing and never a mix', async () => {
  const topic = await openHtmlTopic(cfg.services);
  const indexer = await startIndexer(cfg, { log: createLogger('test-indexer') });
  try {
    const flipped = (runId: string) =>
      eventually(
        async () => (await store.get(runId).catch(() => null))?.status === 'flipped',
        `run ${runId} flipped`,
      );
    const first = await topic.run(source, pages(0, 200));
    await flipped(first.runId);

    const seen: { total: number; runs: string[] }[] = [];
    const errors: unknown[] = [];
    let searching = true;
    const loop = (async () => {
      while (searching) {
        try {
          const r = await es.search({
            index: alias,
            size: 0,
            track_total_hits: true,
            aggs: { runs: { terms: { field: 'runId', size: 10 } } },
          });
          const total = typeof r.hits.total === 'number' ? r.hits.total : r.hits.total!.value;
          const buckets = (r.aggregations!.runs as { buckets: { key: string }[] }).buckets;
          seen.push({ total, runs: buckets.map((b) => b.key) });
        } catch (err) {
          errors.push(err);
        }
      }
    })();
    const second = await topic.run(source, pages(100, 400));
    await flipped(second.runId);
    const after = seen.length;
    await eventually(async () => seen.length > after + 20, 'searches after the flip');
    searching = false;
    await loop;

    expect(errors).toEqual([]);
    expect(seen.some((s) => s.total === 200) && seen.some((s) => s.total === 300)).toBe(true);
    for (const s of seen) {
      expect([200, 300]).toContain(s.total);
      expect(s.runs).toEqual([s.total === 200 ? first.runId : second.runId]);
    }
    // Old, then new: once the new run is seen, the old one never comes back.
    const firstNew = seen.findIndex((s) => s.total === 300);
    expect(seen.slice(firstNew).every((s) => s.total === 300)).toBe(true);
  } finally {
    await indexer.stop();
    await topic.close();
  }
});
