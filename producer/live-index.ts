// What the source's live alias holds, read before a run starts: the run index it points at (the base a
// refresh builds on, refresh-plan.ts), which converters made its documents, when its chain was last
// fully built (the indexer's run state, indexer/alias.ts), and each page's version and fingerprint — so
// a refresh fetches only the bodies that changed, and a page the live index has and the listing did not
// see is dropped only when Confluence confirms it is gone (pull.ts). No alias yet = a first sync.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { aliasHolders, liveRunState } from '../indexer/alias.ts';
import { aliasName } from '../indexer/index-names.ts';
import type { LiveBase } from './refresh-plan.ts';

/** A live document as a refresh compares it. */
export interface LivePage {
  version: number;
  fingerprint: string | null;
  /** The space its HTML was converted in (links resolve against it): a page moved out needs its body. */
  spaceKey: string | null;
}

export interface LiveIndex extends LiveBase {
  /** The concrete index the alias points at. */
  index: string;
  pages: Map<string, LivePage>;
}

const PAGE = 10_000;

async function converters(es: Elasticsearch, index: string): Promise<string[]> {
  const res = await es.search({
    index,
    size: 0,
    aggs: { converters: { terms: { field: 'converter', missing: '', size: 100 } } },
  });
  const buckets = (res.aggregations?.converters as { buckets?: { key: string }[] } | undefined)?.buckets;
  return (buckets ?? []).map((b) => String(b.key));
}

async function livePages(es: Elasticsearch, index: string): Promise<Map<string, LivePage>> {
  const pages = new Map<string, LivePage>();
  let after: (string | number)[] | undefined;
  for (;;) {
    const res = await es.search<{ version?: number; fingerprint?: string | null; spaceKey?: string }>({
      index,
      size: PAGE,
      _source: ['version', 'fingerprint', 'spaceKey'],
      sort: [{ pageId: 'asc' }],
      ...(after ? { search_after: after } : {}),
    });
    const hits = res.hits?.hits ?? [];
    for (const h of hits)
      pages.set(h._id!, {
        version: h._source?.version ?? 0,
        fingerprint: h._source?.fingerprint ?? null,
        spaceKey: h._source?.spaceKey ?? null,
      });
    if (hits.length < PAGE) return pages;
    after = hits.at(-1)!.sort as (string | number)[];
  }
}

/** The live version of the source, or null when it has none (no alias: a first sync). */
export async function readLiveIndex(
  es: Elasticsearch,
  prefix: string,
  sourceId: string,
): Promise<LiveIndex | null> {
  const alias = aliasName(prefix, sourceId);
  const targets = await aliasHolders(es, alias);
  if (targets.length === 0) return null;
  const index = targets.length === 1 ? targets[0]! : alias;
  const [state, used, pages] = await Promise.all([
    targets.length === 1 ? liveRunState(es, prefix, sourceId) : Promise.resolve(null),
    converters(es, index),
    livePages(es, index),
  ]);
  // A run state without fullAt is from an indexer that cannot build refreshes: the plan says full.
  const runId = state?.index === index ? state.runId : null;
  const fullAt = typeof state?.fullAt === 'number' ? state.fullAt : null;
  return { index, runId, fullAt, converters: used, pages };
}
