// A refresh's run index starts as a copy of its base's index, made by Elasticsearch's `_clone`: the
// copy hard-links the base's segments, so it costs about the same at 1,000 pages as at 100,000, where a
// `_reindex` rewrites every document (bench/index.ts measures both; numbers in bench/README.md). The
// run then overwrites changed pages and deletes removed ones, and is verified like a full run.
//
// `_clone` needs the source write-blocked. The block is set just before and lifted right after, and
// every step is safe to repeat: a redelivered START or a restart after a crash mid-way finds the copy
// made (a second `_clone` is refused as "already exists", checked before the block) and lifts the block
// again, so a crash can never leave the live index read-only for longer than until the next start.
import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { pageMappings } from './template.ts';

/** The copy cannot be made: the run fails at initialize with this reason, and never goes live. */
export class RefreshImpossible extends Error {}

type Refusal = { error?: { type?: string; reason?: string } };

const WRITE_BLOCK = 'index.blocks.write';

/**
 * Makes `target` a copy of `base` with the run's bulk-load settings (no refresh, no replicas) and
 * today's page mapping; returns how long the copy took, or null when it was there already.
 */
export async function copyBase(
  es: Elasticsearch,
  opts: { base: string; target: string; textAnalyzer: string; baseGone(): Promise<string> },
): Promise<number | null> {
  const { base, target } = opts;
  const started = performance.now();
  const existed = await es.indices.exists({ index: target });
  if (!existed) {
    if (!(await es.indices.exists({ index: base }))) throw new RefreshImpossible(await opts.baseGone());
    try {
      // A few tries: another indexer starting the same run (its other partitions) may lift the block
      // between ours and our `_clone`; Elasticsearch answers that with a 500, which is not worth waiting on.
      for (let attempt = 0; ; attempt++) {
        await es.indices.putSettings({ index: base, settings: { [WRITE_BLOCK]: true } });
        const answer = (await es.indices.clone(
          {
            index: base,
            target,
            settings: { 'index.number_of_replicas': 0, 'index.refresh_interval': '-1', [WRITE_BLOCK]: null },
          },
          { ignore: [400, 404, 500] },
        )) as estypes.IndicesCloneResponse & Refusal;
        const refused = answer.error?.type;
        if (!refused || refused === 'resource_already_exists_exception') break;
        if (refused === 'index_not_found_exception') throw new RefreshImpossible(await opts.baseGone());
        if (refused !== 'illegal_state_exception' || attempt >= 3)
          throw new Error(`copying ${base} into ${target} failed: ${refused}: ${answer.error?.reason}`);
      }
    } finally {
      await liftWriteBlock(es, base);
    }
  } else await liftWriteBlock(es, base);
  // The copy has the base's mapping; fields added since (the template is not applied to a clone) are
  // added here. A base from before positions were dropped keeps them (template.ts). A change that
  // cannot be applied to existing fields needs a full run.
  const putMapping = (positions: boolean) =>
    es.indices.putMapping(
      { index: target, ...pageMappings(opts.textAnalyzer, { positions }) },
      { ignore: [400] },
    ) as Promise<estypes.IndicesPutMappingResponse & Refusal>;
  const mapped = await putMapping(false);
  if (mapped.error && (await putMapping(true)).error)
    throw new RefreshImpossible(
      `the page mapping changed in a way the base's copy cannot take (${mapped.error.reason}): a refresh cannot build on ${base}; the next full run (producer --full) will`,
    );
  return existed ? null : Math.round(performance.now() - started);
}

/** The base is writable again (it is the live index; nothing else ever blocks it). */
export async function liftWriteBlock(es: Elasticsearch, base: string): Promise<void> {
  await es.indices.putSettings({ index: base, settings: { [WRITE_BLOCK]: null } }, { ignore: [404] });
}
