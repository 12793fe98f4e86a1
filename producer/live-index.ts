// What the source's live alias holds, read before a run starts: the run index it points at (the base a
// refresh builds on, refresh-plan.ts), which converters made its documents, when its chain was last
// fully built (the indexer's run state, indexer/alias.ts), and each page's version and fingerprint — so
// a refresh fetches only the bodies that changed, and a page the live index has and the listing did not
// see is dropped only when Confluence confirms it is gone (pull.ts). No alias yet = a first sync.
import type { estypes } from '@elastic/elasticsearch';
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
  /** Pages per space key: a run lists the biggest spaces first (their chains of listing pages are the longest). */
  spaceSizes: ReadonlyMap<string, number>;
  /**
   * Its documents, still being read when the rest is known: reading 100,000 of them takes a few seconds,
   * so a run lists the site meanwhile.
   */
  pages: Promise<Map<string, LivePage>>;
}

const PAGE = 10_000;

type Buckets = { buckets?: { key: string; doc_count: number }[] } | undefined;

/** Which converters made the live documents, and how many pages each space holds. */
async function aggregates(es: Elasticsearch, index: string) {
  const res = await es.search({
    index,
    size: 0,
    aggs: {
      converters: { terms: { field: 'converter', missing: '', size: 100 } },
      spaces: { terms: { field: 'spaceKey', size: 10_000 } },
    },
  });
  const buckets = (name: string) => (res.aggregations?.[name] as Buckets)?.buckets ?? [];
  return {
    converters: buckets('converters').map((b) => String(b.key)),
    spaceSizes: new Map(buckets('spaces').map((b) => [String(b.key), b.doc_count])),
  };
}

/** The doc-values copy of each document's fingerprint (indexer/template.ts). */
const FINGERPRINT = 'fingerprint.docvalues';

/** Every hit of `query` in `index`, page by page in id order. */
async function eachHit(
  es: Elasticsearch,
  index: string,
  request: Pick<estypes.SearchRequest, '_source' | 'stored_fields' | 'docvalue_fields' | 'query'>,
  visit: (hit: estypes.SearchHit<{ fingerprint?: string | null }>) => void,
): Promise<void> {
  let after: estypes.SortResults | undefined;
  for (;;) {
    const res = await es.search<{ fingerprint?: string | null }>({
      index,
      size: PAGE,
      sort: [{ pageId: 'asc' }],
      ...request,
      ...(after ? { search_after: after } : {}),
    });
    const hits = res.hits?.hits ?? [];
    hits.forEach(visit);
    if (hits.length < PAGE) return;
    after = hits.at(-1)!.sort;
  }
}

/** Every field a refresh compares, read from doc values. */
const LIVE_FIELDS = ['pageId', 'version', 'spaceKey', FINGERPRINT];

/**
 * Each document's id, version, fingerprint and space from doc values, without loading any stored
 * field: even `_id` is stored beside the source, so reading it decompresses the blocks holding every
 * document's source (1.2–1.7 s per 10,000 hits of 100,000 simulated pages, against 0.17 s without);
 * then, from the source, the fingerprints of documents indexed before the doc-values copy existed
 * (copied from older versions, until the next full run).
 */
async function livePages(es: Elasticsearch, index: string): Promise<Map<string, LivePage>> {
  const pages = new Map<string, LivePage>();
  const first = (hit: estypes.SearchHit, field: string) =>
    (hit.fields?.[field] as unknown[] | undefined)?.[0];
  const fromDocValues = { _source: false, stored_fields: ['_none_'], docvalue_fields: LIVE_FIELDS };
  await eachHit(es, index, fromDocValues, (h) => {
    pages.set(String(first(h, 'pageId')), {
      version: Number(first(h, 'version') ?? 0),
      fingerprint: (first(h, FINGERPRINT) as string | undefined) ?? null,
      spaceKey: (first(h, 'spaceKey') as string | undefined) ?? null,
    });
  });
  const older = { bool: { must_not: { exists: { field: FINGERPRINT } } } };
  await eachHit(es, index, { _source: ['fingerprint'], query: older }, (h) => {
    const page = pages.get(h._id!);
    if (page) page.fingerprint = h._source?.fingerprint ?? null;
  });
  return pages;
}

/**
 * The live version of the source, or null when it has none (no alias: a first sync); its pages come in
 * their own time (the client must stay open until they have).
 */
export async function readLiveIndex(
  es: Elasticsearch,
  prefix: string,
  sourceId: string,
): Promise<LiveIndex | null> {
  const alias = aliasName(prefix, sourceId);
  const targets = await aliasHolders(es, alias);
  if (targets.length === 0) return null;
  const index = targets.length === 1 ? targets[0]! : alias;
  const pages = livePages(es, index);
  pages.catch(() => {}); // the caller awaits it; a failure before then is not unhandled
  const [state, { converters, spaceSizes }] = await Promise.all([
    targets.length === 1 ? liveRunState(es, prefix, sourceId) : Promise.resolve(null),
    aggregates(es, index),
  ]);
  // A run state without fullAt is from an indexer that cannot build refreshes: the plan says full.
  const runId = state?.index === index ? state.runId : null;
  const fullAt = typeof state?.fullAt === 'number' ? state.fullAt : null;
  return { index, runId, fullAt, converters, spaceSizes, pages };
}
