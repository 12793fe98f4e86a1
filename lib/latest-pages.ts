// The latest-pages topic: the latest raw page of every page id of every source, compacted, so a source can
// be rebuilt without Confluence (ops/replay.ts) long after its runs left the raw topic. Pulls write it
// through the run writer (a page: its raw event; a page a run drops: a tombstone); replays only read it.
// The key format lives here, with its inverse.

/** Source ids are [a-z0-9-] (schemas/source-id.ts), so the first `/` ends the source id. */
const SEPARATOR = '/';

/** The record key of a page: `<sourceId>/<pageId>`. */
export function latestKey(sourceId: string, pageId: string): string {
  return `${sourceId}${SEPARATOR}${pageId}`;
}

/** The source and page a key names; null for a key that is not one of ours. */
export function parseLatestKey(key: string | null): { sourceId: string; pageId: string } | null {
  const at = key?.indexOf(SEPARATOR) ?? -1;
  if (!key || at <= 0 || at === key.length - 1) return null;
  return { sourceId: key.slice(0, at), pageId: key.slice(at + 1) };
}

/** Every key of `sourceId` starts with this (and no key of another source does). */
export const latestKeyPrefix = (sourceId: string) => `${sourceId}${SEPARATOR}`;
