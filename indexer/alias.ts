// The alias a source is searched through: who holds it, what it shows, moving it in one `_aliases` call
// (flip and rollback), and deleting every index of a source (when the source is deleted).
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { Visibility } from '../schemas/index.ts';
import type { RunStore } from './run-state.ts';
import type { RunState } from './completion.ts';
import { aliasName, isRunIndexOf, parseRunIndexName, runsIndexName } from './index-names.ts';

/** The indices the alias points at now (one, once a run has gone live; none before). */
export async function aliasHolders(es: Elasticsearch, alias: string): Promise<string[]> {
  const result = await es.indices.getAlias({ name: alias }, { ignore: [404] });
  // A 404 body is an error object, not a map of indices.
  return Object.keys(result).filter((k) => k !== 'error' && k !== 'status');
}

/** The live run of a source: its id (from the index's state) and how many pages the alias shows. */
export async function liveRun(
  es: Elasticsearch,
  store: RunStore,
  prefix: string,
  sourceId: string,
): Promise<{ runId: string; index: string; docs: number; publicDocs: number } | null> {
  const alias = aliasName(prefix, sourceId);
  const [index] = await aliasHolders(es, alias);
  if (!index) return null;
  const [run] = (await store.list({ sourceId })).filter((r) => r.index === index);
  const { docs, publicDocs } = await audienceCounts(es, alias);
  const runId = run?.runId ?? parseRunIndexName(prefix, index)?.runId ?? index;
  return { runId, index, docs, publicDocs };
}

/**
 * The state of the run the source's alias points at (null before the first flip, or when the live index
 * is not a run the indexer recorded). The producer plans a refresh from it: `runId` is the base of the
 * next refresh, `fullAt` when the last full run of the chain started (for the full-refresh cadence),
 * `baseRunId` null when the live version was a full run.
 */
export async function liveRunState(
  es: Elasticsearch,
  prefix: string,
  sourceId: string,
): Promise<RunState | null> {
  const [index] = await aliasHolders(es, aliasName(prefix, sourceId));
  const runId = index && parseRunIndexName(prefix, index)?.runId;
  if (!runId) return null;
  const doc = await es.get<RunState>({ index: runsIndexName(prefix), id: runId }, { ignore: [404] });
  return doc.found ? (doc._source ?? null) : null;
}

/** Pages in an index or alias, all and public (for the shrink and audience-shift guards). */
export async function audienceCounts(
  es: Elasticsearch,
  index: string,
): Promise<{ docs: number; publicDocs: number }> {
  const [{ count: docs }, { count: publicDocs }] = await Promise.all([
    es.count({ index }),
    es.count({ index, query: { term: { visibility: 'public' satisfies Visibility } } }),
  ]);
  return { docs, publicDocs };
}

/** Atomically: the alias leaves every index it is on and lands on `index`. One request. */
export async function moveAlias(es: Elasticsearch, alias: string, index: string): Promise<void> {
  const holders = await aliasHolders(es, alias);
  await es.indices.updateAliases({
    actions: [
      ...holders.filter((h) => h !== index).map((h) => ({ remove: { index: h, alias } })),
      { add: { index, alias } },
    ],
  });
}

/**
 * Deletes every index of one source (which takes its alias with it) and returns their names. Only
 * `<prefix>-<sourceId>-<run id>` exactly: the source `acme` never touches `acme-eu`'s indices.
 */
export async function deleteSourceIndices(
  es: Elasticsearch,
  prefix: string,
  sourceId: string,
): Promise<string[]> {
  const alias = aliasName(prefix, sourceId);
  const found = await es.indices.get(
    { index: `${alias}-*`, expand_wildcards: ['open', 'closed'] },
    { ignore: [404] },
  );
  const indices = Object.keys(found).filter((name) => isRunIndexOf(prefix, sourceId, name));
  if (indices.length > 0) await es.indices.delete({ index: indices }, { ignore: [404] });
  return indices.sort();
}
