// What it costs a refresh to start its run index as a copy of the live one (bench/index.ts runs it on
// the index it just built): `_clone` as the indexer does it (indexer/base-copy.ts: write block, clone,
// block lifted, mapping brought up to date), Elasticsearch's server-side `_reindex` when the server has
// the reindex module (the local minimal distribution does not), and a copy through the client
// (search_after pages + bulk), which does the same per-document work as `_reindex` plus the transfer.
// Each copy is counted to hold every document, then deleted.
import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { copyBase } from '../indexer/base-copy.ts';
import type { IndexerConfig } from '../indexer/config.ts';
import { createRunIndex, restoreSearchSettings } from '../indexer/template.ts';

type Copy = { ms: number; docs: number } | { unavailable: string };

async function timed(es: Elasticsearch, cfg: IndexerConfig, target: string, copy: () => Promise<void>) {
  const started = performance.now();
  await copy();
  const ms = Math.round(performance.now() - started);
  // Searchable, as finalize leaves it: part of what a copy costs before the run can be verified.
  await restoreSearchSettings(es, cfg, target);
  const { count } = await es.count({ index: target });
  await es.indices.delete({ index: target });
  return { ms, docs: count };
}

async function clientCopy(es: Elasticsearch, base: string, target: string): Promise<void> {
  await createRunIndex(es, target);
  let after: estypes.SortResults | undefined;
  for (;;) {
    const res = await es.search<Record<string, unknown>>({
      index: base,
      size: 2000,
      sort: ['_doc'],
      ...(after ? { search_after: after } : {}),
    });
    const hits = res.hits.hits;
    if (hits.length === 0) return;
    const bulk = await es.bulk({
      operations: hits.flatMap((h) => [{ index: { _index: target, _id: h._id } }, h._source!]),
    });
    if (bulk.errors) throw new Error('client copy: bulk items refused');
    after = hits.at(-1)!.sort as estypes.SortResults;
  }
}

export async function measureCopies(
  es: Elasticsearch,
  cfg: IndexerConfig,
  base: string,
): Promise<Record<string, Copy | number>> {
  await es.indices.refresh({ index: base });
  const { count } = await es.count({ index: base });
  const clone = await timed(es, cfg, `${base}-clone`, async () => {
    await copyBase(es, {
      base,
      target: `${base}-clone`,
      textAnalyzer: cfg.textAnalyzer,
      baseGone: async () => 'base gone',
    });
  });
  let reindex: Copy;
  try {
    reindex = await timed(es, cfg, `${base}-reindex`, async () => {
      await createRunIndex(es, `${base}-reindex`);
      await es.reindex({
        source: { index: base },
        dest: { index: `${base}-reindex` },
        wait_for_completion: true,
      });
    });
  } catch (err) {
    await es.indices.delete({ index: `${base}-reindex` }, { ignore: [404] });
    const status = (err as { meta?: { statusCode?: number } }).meta?.statusCode;
    if (status !== 405 && status !== 400) throw err;
    reindex = { unavailable: `POST /_reindex answers ${status}: this Elasticsearch has no reindex module` };
  }
  const client = await timed(es, cfg, `${base}-client`, () => clientCopy(es, base, `${base}-client`));
  return { docs: count, clone, reindex, client };
}
