// A listing is not a snapshot. A page moved during a run from a space not yet listed into one already
// listed is seen by neither listing; the run must still keep it, because Confluence still serves it,
// while a page trashed during the run is dropped. Real Kafka and Elasticsearch (the live alias).
import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createCodecs } from '../../lib/registry.ts';
import { aliasName } from '../../indexer/index-names.ts';
import { producerConfig } from '../../producer/config.ts';
import { runPull } from '../../producer/run.ts';
import type { RawPageEvent } from '../../schemas/index.ts';
import { startSim } from '../../sim/index.ts';
import { isolatedEnv } from '../stack/services.ts';
import { captureLogger, expectedPageIds, simEnv } from './helpers.ts';
import { deleteTopics, readTopic, testKafka } from './kafka-read.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

describe('pages the listing missed', () => {
  it('a page moved mid-run into a space already listed is kept; a page trashed mid-run is dropped', async () => {
    const sim = await startSim({ seed: 31, spaces: 2, pages: 80, slowMs: 1_500 });
    cleanups.push(() => sim.close());
    const cfg = producerConfig({ ...isolatedEnv('confirm'), ...simEnv(sim) });
    const kafka = testKafka(cfg.services);
    cleanups.push(() => deleteTopics(kafka, cfg.services));
    const [first, second] = sim.admin.info().spaces;
    const inSecond = expectedPageIds(sim).filter((id) => sim.admin.page(id).spaceKey === second!.key);
    const [moved, trashed] = inSecond;

    // The previous sync's live index: every current page.
    const es = createElasticsearch(cfg.services);
    const alias = aliasName(cfg.services.indexPrefix, cfg.sourceId);
    cleanups.push(async () => {
      await es.indices.delete({ index: `${alias}-previous` }, { ignore: [404] });
      await es.close();
    });
    await es.indices.create({
      index: `${alias}-previous`,
      mappings: { properties: { pageId: { type: 'keyword' }, version: { type: 'integer' } } },
      aliases: { [alias]: {} },
    });
    await es.bulk({
      refresh: true,
      operations: expectedPageIds(sim).flatMap((id) => [
        { index: { _index: `${alias}-previous`, _id: id } },
        { pageId: id, version: sim.admin.page(id).version },
      ]),
    });

    // Spaces are listed one after the other (PRODUCER_CONCURRENCY=4 lists one space at a time): while
    // the second space's listing stalls, one of its pages moves, with its subtree, into the first one.
    sim.admin.addFault({ kind: 'slow', space: second!.id, count: 1 });
    const run = runPull(cfg, { log: captureLogger().log });
    while (sim.admin.faults.rules.length > 0) await new Promise((r) => setTimeout(r, 20));
    sim.admin.movePage(moved!, { space: first!.key });
    sim.admin.deletePage(trashed!);
    const summary = await run;
    expect(summary.status).toBe('SUCCEEDED');

    const codecs = await createCodecs(cfg.services);
    const raw = await readTopic<RawPageEvent>(kafka, cfg.services.topics.rawPages, (b) =>
      codecs.rawPages.decode(b),
    );
    const sent = raw.flatMap((r) => (r.value.page ? [r.value.page] : []));
    // trashed gone; the moved page and its subtree (listed in neither space) kept
    expect(sent.map((p) => p.id).sort()).toEqual(expectedPageIds(sim));
    expect(sent.find((p) => p.id === moved)!.space.key).toBe(first!.key);
    expect(summary.pages).toBe(sim.admin.info().pages);
  });
});
