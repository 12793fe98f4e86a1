// The latest-pages topic: the latest raw page of every page id of every source, compacted, so a source can
// be rebuilt without Confluence (ops/replay.ts) long after its runs left the raw topic. Pulls write it
// through the run writer (a page: its raw event; a page a run drops: a tombstone); replays only read it.
// The key format lives here, with its inverse, and the two passes that read one source back.
import type { Kafka, Producer } from './kafka.ts';
import type { Codec } from './registry.ts';
import { scanTopic } from './topic-scan.ts';
import type { RawPage, RawPageEvent } from '../schemas/index.ts';

/** Source ids are [a-z0-9-] (schemas/source-id.ts), so the first `/` ends the source id. */
const SEPARATOR = '/';

/**
 * The record key of a page: `<sourceId>/<pageId>`. The run writer keys a page's records on the raw and
 * HTML topics the same way (and partitions them by it), so one page's records are alike in every topic.
 */
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

/** Where the latest record of each current page of one source is, after a scan of the whole topic. */
export interface LatestIndex {
  /** page id → the place of its latest record; a page whose latest record is a tombstone is not here. */
  pages: Map<string, { partition: number; offset: string }>;
  /**
   * Sources the topic holds pages of (for "which sources are there?"). A deleted source's page records
   * stay until compaction removes them (within about a day), so it may still be listed until then.
   */
  sources: Set<string>;
  /** Records (pages and tombstones, of every source) the scan read. */
  records: number;
}

/**
 * First pass over the latest-pages topic, from its beginning to its end as it was when the scan began:
 * the place of each page's latest record, without decoding any value (a 100,000-page source costs a
 * map of ids, not its bodies). Latest offset per key wins; a tombstone deletes.
 */
export async function indexLatest(kafka: Kafka, topic: string, sourceId: string): Promise<LatestIndex> {
  const prefix = latestKeyPrefix(sourceId);
  const pages: LatestIndex['pages'] = new Map();
  const sources = new Set<string>();
  let records = 0;
  await scanTopic(
    kafka,
    { topic, decode: () => Promise.reject(new Error('not decoded')) },
    async () => false,
    {
      select: ({ partition, offset, key, tombstone }) => {
        records++;
        const parsed = parseLatestKey(key);
        if (!parsed) return false;
        if (!tombstone) sources.add(parsed.sourceId);
        if (!key!.startsWith(prefix)) return false;
        if (tombstone) pages.delete(parsed.pageId);
        else pages.set(parsed.pageId, { partition, offset });
        return false;
      },
    },
  );
  return { pages, sources, records };
}

/**
 * Second pass: reads the records `index` chose, in offset order per partition, and hands their pages to
 * `visit` batch by batch (awaited: the backpressure). Returns how many chosen records were not found:
 * compaction removed them in between, which min.compaction.lag.ms (lib/kafka.ts) makes all but impossible.
 */
export async function readLatest(
  kafka: Kafka,
  codec: Pick<Codec<RawPageEvent>, 'topic' | 'decode'>,
  index: LatestIndex,
  visit: (pages: RawPage[]) => Promise<void>,
): Promise<{ missing: number }> {
  const wanted = new Map<number, Set<string>>();
  const starts = new Map<number, string>();
  for (const { partition, offset } of index.pages.values()) {
    const offsets = wanted.get(partition) ?? new Set<string>();
    offsets.add(offset);
    wanted.set(partition, offsets);
    const start = starts.get(partition);
    if (start === undefined || BigInt(offset) < BigInt(start)) starts.set(partition, offset);
  }
  if (starts.size === 0) return { missing: 0 };
  await scanTopic(
    kafka,
    codec,
    async (records, partition) => {
      const left = wanted.get(partition)!;
      for (const r of records) left.delete(r.offset);
      await visit(records.flatMap((r) => (r.value.page ? [r.value.page] : [])));
      return left.size === 0;
    },
    { starts, select: ({ partition, offset }) => wanted.get(partition)?.has(offset) === true },
  );
  let missing = 0;
  for (const left of wanted.values()) missing += left.size;
  return { missing };
}

/**
 * Tombstones every current page of `sourceId` (a deleted source), so its pages do not stay in Kafka for
 * good: compaction removes them, and the tombstones a day later. Returns how many pages it removed.
 */
export async function forgetSource(
  kafka: Kafka,
  producer: Producer,
  topic: string,
  sourceId: string,
): Promise<number> {
  const { pages } = await indexLatest(kafka, topic, sourceId);
  const keys = [...pages.keys()].map((pageId) => latestKey(sourceId, pageId));
  for (let i = 0; i < keys.length; i += TOMBSTONES_PER_SEND) {
    const messages = keys.slice(i, i + TOMBSTONES_PER_SEND).map((key) => ({ key, value: null }));
    await producer.send({ topic, acks: -1, messages });
  }
  return keys.length;
}
const TOMBSTONES_PER_SEND = 5_000;
