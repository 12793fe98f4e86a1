// The names the indexer gives things in Elasticsearch, and the inverse: which source and run an index
// belongs to. Everything that builds or reads such a name (indexer, ops, search, sources, the producer's
// view of the live index) goes through here, so the shape is defined once.

/** The alias the AI searches: one per source. */
export const aliasName = (prefix: string, sourceId: string) => `${prefix}-${sourceId}`;

/** One index per source and run; ULIDs are upper case, index names must not be. */
export const runIndexName = (prefix: string, sourceId: string, runId: string) =>
  `${aliasName(prefix, sourceId)}-${runId.toLowerCase()}`;

/** Run state and page failures. Has no dash after the prefix, so the page template never matches it. */
export const runsIndexName = (prefix: string) => `${prefix}-runs`;

/** The index template of page documents, and the pattern it applies to (never `<prefix>-runs`). */
export const pageTemplateName = (prefix: string) => `${prefix}-pages`;
export const runIndexPattern = (prefix: string) => `${prefix}-*-*`;

// A run id is a ULID (26 characters), lower-cased in the name. The source id may hold dashes itself
// (`acme-atlassian-net`), so the run id is taken from the end.
const RUN_ID = /^(.+)-([0-9a-z]{26})$/;

/** The source and run of a run index of this prefix; null for any other name (the runs index, an alias, …). */
export function parseRunIndexName(prefix: string, index: string): { sourceId: string; runId: string } | null {
  if (!index.startsWith(`${prefix}-`)) return null;
  const m = RUN_ID.exec(index.slice(prefix.length + 1));
  if (!m) return null;
  return { sourceId: m[1]!, runId: m[2]!.toUpperCase() };
}

/** The run index of one source: `acme`'s never matches `acme-eu`'s. */
export function isRunIndexOf(prefix: string, sourceId: string, index: string): boolean {
  return parseRunIndexName(prefix, index)?.sourceId === sourceId;
}
