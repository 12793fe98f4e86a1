// The latest-pages topic: the latest raw page of every page id of every source, compacted, so a source can
// be rebuilt without Confluence (ops/replay.ts) long after its runs left the raw topic. Pulls write it
// through the run writer (a page: its raw event; a page a run drops: a tombstone); replays only read it.
// A refresh that sends a page's new facts without its body (a facts update) cannot replace the page's
// record, which holds the body: the update goes under the page's facts key, in the same partition, and
// amends the page's record when it is the later of the two (a full fetch of the page since supersedes it).
// The key format lives here, with its inverse, and the two passes that read one source back.
import type { Kafka, Producer } from './kafka.ts';
import type { Codec } from './registry.ts';
import { scanTopic } from './topic-scan.ts';
import type { FactsUpdate, RawPage, RawPageEvent } from '../schemas/index.ts';

/** Source ids are [a-z0-9-] (schemas/source-id.ts), so the first `/` ends the source id. */
const SEPARATOR = '/';

/**
 * The record key of a page: `<sourceId>/<pageId>`. The run writer keys a page's records on the raw and
 * HTML topics the same way (and partitions them by it), so one page's records are alike in every topic.
 */
export function latestKey(sourceId: string, pageId: string): string {
  return `${sourceId}${SEPARATOR}${pageId}`;
}

/** Page ids are digits, so a page key never ends like this. */
const FACTS_SUFFIX = `${SEPARATOR}facts`;

/** The record key of a page's latest facts update: `<sourceId>/<pageId>/facts`. */
export function latestFactsKey(sourceId: string, pageId: string): string {
  return `${latestKey(sourceId, pageId)}${FACTS_SUFFIX}`;
}

/** The source and page a key names, and whether it is the page's facts key; null for a key that is not one of ours. */
export function parseLatestKey(
  key: string | null,
): { sourceId: string; pageId: string; facts: boolean } | null {
  const at = key?.indexOf(SEPARATOR) ?? -1;
  if (!key || at <= 0 || at === key.length - 1) return null;
  const rest = key.slice(at + 1);
  const facts = rest.endsWith(FACTS_SUFFIX) && rest.length > FACTS_SUFFIX.length;
  return { sourceId: key.slice(0, at), pageId: facts ? rest.slice(0, -FACTS_SUFFIX.length) : rest, facts };
}

/** A page's raw record with the facts of a later facts update: what the page's document then held. */
export function withFacts(page: RawPage, facts: FactsUpdate): RawPage {
  const { space, restricted, ancestorRestricted, ancestors, labels, visibility, visibilityReason } = facts;
  return {
    ...page,
    ...{ space, restricted, ancestorRestricted, ancestors, labels, visibility, visibilityReason },
    fingerprint: facts.fingerprint,
    parentId: ancestors.at(-1)?.id ?? null,
  };
}

/** Every key of `sourceId` starts with this (and no key of another source does). */
export const latestKeyPrefix = (sourceId: string) => `${sourceId}${SEPARATOR}`;

/** Where the latest record of each current page of one source is, after a scan of the whole topic. */
export interface LatestIndex {
  /** page id → the place of its latest record; a page whose latest record is a tombstone is not here. */
  pages: Map<string, { partition: number; offset: string }>;
  /**
   * page id → the place of its latest facts update (`update`: decoded, when the scan was given the
   * codec). It amends the page's record only when later (appliedFacts).
   */
  facts: Map<string, { partition: number; offset: string; update?: FactsUpdate }>;
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
 * the place of each page's latest record, without decoding any page (a 100,000-page source costs a
 * map of ids, not its bodies). Latest offset per key wins; a tombstone deletes. Facts updates are small:
 * with `codec`, those of the source are decoded on the way.
 */
export async function indexLatest(
  kafka: Kafka,
  topic: string,
  sourceId: string,
  codec?: Pick<Codec<RawPageEvent>, 'decode'>,
): Promise<LatestIndex> {
  const prefix = latestKeyPrefix(sourceId);
  const pages: LatestIndex['pages'] = new Map();
  const facts: LatestIndex['facts'] = new Map();
  const sources = new Set<string>();
  let records = 0;
  await scanTopic(
    kafka,
    { topic, decode: codec ? (b) => codec.decode(b) : () => Promise.reject(new Error('not decoded')) },
    async (decoded) => {
      for (const r of decoded) {
        const update = r.value.facts;
        const at = facts.get(parseLatestKey(r.key)!.pageId);
        if (update && at?.offset === r.offset) at.update = update;
      }
      return false;
    },
    {
      select: ({ partition, offset, key, tombstone }) => {
        records++;
        const parsed = parseLatestKey(key);
        if (!parsed) return false;
        if (!tombstone) sources.add(parsed.sourceId);
        if (!key!.startsWith(prefix)) return false;
        const places = parsed.facts ? facts : pages;
        if (tombstone) places.delete(parsed.pageId);
        else places.set(parsed.pageId, { partition, offset });
        return parsed.facts && !tombstone && codec !== undefined;
      },
    },
  );
  return { pages, facts, sources, records };
}

/** The facts update that amends a page's record: later than it in its partition, and of its version. */
function appliedFacts(index: LatestIndex, page: RawPage): FactsUpdate | undefined {
  const at = index.facts.get(page.id);
  const own = index.pages.get(page.id);
  if (!at?.update || !own || at.partition !== own.partition || at.update.version !== page.version) return;
  return BigInt(at.offset) > BigInt(own.offset) ? at.update : undefined;
}

/**
 * Second pass: reads the records `index` chose, in offset order per partition, and hands their pages to
 * `visit` batch by batch (awaited: the backpressure), each amended by its facts update. Returns how many
 * chosen records were not found: compaction removed them in between, which min.compaction.lag.ms
 * (lib/kafka.ts) makes all but impossible.
 */
export async function readLatest(
  kafka: Kafka,
  codec: Pick<Codec<RawPageEvent>, 'topic' | 'decode'>,
  index: LatestIndex,
  visit: (pages: RawPage[]) => Promise<void>,
): Promise<{ missing: number }> {
  if ([...index.facts.values()].some((f) => !f.update))
    throw new Error(
      'readLatest needs an index whose facts updates were decoded (indexLatest with the codec)',
    );
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
      await visit(
        records.flatMap(({ value: { page } }) => {
          const update = page ? appliedFacts(index, page) : undefined;
          return !page ? [] : update ? [withFacts(page, update)] : [page];
        }),
      );
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
  const { pages, facts } = await indexLatest(kafka, topic, sourceId);
  const keys = [
    ...[...pages.keys()].map((pageId) => latestKey(sourceId, pageId)),
    ...[...facts.keys()].map((pageId) => latestFactsKey(sourceId, pageId)),
  ];
  for (let i = 0; i < keys.length; i += TOMBSTONES_PER_SEND) {
    const messages = keys.slice(i, i + TOMBSTONES_PER_SEND).map((key) => ({ key, value: null }));
    await producer.send({ topic, acks: -1, messages });
  }
  return keys.length;
}
const TOMBSTONES_PER_SEND = 5_000;
