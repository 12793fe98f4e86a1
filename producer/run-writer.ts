// The Kafka side of a run, per docs/architecture.md: START on every partition (a refresh's names the
// version it builds on), each page once (keyed `<source>/<page id>` and explicitly partitioned by that key,
// so per-partition counts are exact) and each removal of a base page, then END with the counts or ABORT with the reason;
// and the run's record on the runs topic at start and at the end.
// Replays write through it too: raw pages again (convert again), or HTML events (index again).
// A pull also keeps the latest-pages topic (lib/latest-pages.ts): each page it sends goes there too, in
// the same acknowledged request, and each page it removes becomes a tombstone there. So once a send is
// acknowledged both topics hold it, and END (written only after every send is acknowledged) never leaves
// the latest topic behind the run. Both topics get the same key, partition and value buffer for a page, so
// a send's records for partition p are the same in both and are compressed once (lib/kafka-produce.ts). Replays do not write it: they re-send what it (or an older run) holds.
import { compressionType, partitionOf, type Compression, type Producer } from '../lib/kafka.ts';
import { latestFactsKey, latestKey } from '../lib/latest-pages.ts';
import { reframe, type Codecs } from '../lib/registry.ts';
import type {
  FactsUpdate,
  PageOrFailureEvent as PageOrFailure,
  HtmlPageEvent,
  PageRemoval,
  PartitionSpan,
  RawPage,
  RawPageBytes,
  RawPageEventToWrite,
  RefreshBase,
  Run,
  RunMarker,
  RunMarkerKind,
} from '../schemas/index.ts';
import { pageIdOf, recordedVisibility } from '../schemas/index.ts';
import { createBudget } from './budget.ts';

/**
 * Bigger sends are split: the broker refuses batches over the topic's max.message.bytes (16 MB), and
 * kafkajs copies each send several times in buffers grown to the next power of two (so a send's records
 * stay under 512 KiB). Smaller sends measured slower, bigger ones only held more memory.
 */
const MAX_SEND_BYTES = 500_000;
/**
 * Avro bytes handed to Kafka and not yet acknowledged, across every space of the run: with kafkajs's
 * copies of each send (records, batch, gzip, request), this, not the number of spaces, bounds what the
 * Kafka side holds. Two sends in flight keep the broker busy (one is compressed while one is written).
 */
const MAX_BYTES_IN_FLIGHT = 2 * MAX_SEND_BYTES;

export interface RunCounts {
  spaces: number;
  /** Pages sent. */
  pages: number;
  /** Internal pages among those sent. */
  personalPages: number;
  /** A refresh: pages of the base version kept without fetching their bodies. */
  unchanged: number;
  /** Pages of the base version this one drops (removal events). */
  removed: number;
  /** Avro bytes of the page records the run emitted. */
  bytes: number;
}

export interface RunWriter {
  readonly counts: RunCounts;
  readonly startedAt: number;
  /** START on every partition; a refresh's names the version it builds on. */
  start(refresh?: RefreshBase | null): Promise<void>;
  /**
   * Sends a listing page's pages, skipping ids already sent this run. Iterates the batch once, as its
   * pages are encoded. `sent` resolves once every page is handed to Kafka, `acknowledged` once
   * Kafka acknowledged them all (and rejects if a send failed).
   */
  pages(batch: Iterable<RawPage | RawPageBytes>): Sending;
  /** A refresh: `count` more pages of the base version are kept as they are (counted in END's pagesTotal). */
  keep(count: number): void;
  /**
   * A refresh: pages of the base version whose facts changed and whose body did not, sent as facts
   * updates (pages of the run, counted as sent ones; the latest-pages topic keeps each beside the page's
   * raw record, see lib/latest-pages.ts). Same contract as `pages`.
   */
  facts(updates: Iterable<FactsUpdate>): Sending;
  /** HTML-topic writers (replay): re-sends converted pages and failures under this run's id. */
  forward(batch: PageOrFailure[]): Sending;
  /**
   * Drops pages from the run's version: a removal event per page on the run's topic (the indexer deletes
   * the page from the run's index; it does not count as a page of the run) and, for a pull, a tombstone in
   * the latest-pages topic. Ids this run already sent or removed are skipped. Same contract as `pages`.
   */
  remove(removals: Iterable<PageRemoval>): Sending;
  /** END on every partition and the SUCCEEDED record. Call only once every send is acknowledged. */
  end(http: HttpCounts): Promise<Run>;
  /** ABORT on every partition and the FAILED record. */
  abort(reason: string, http: HttpCounts): Promise<Run>;
}

export interface Sending {
  sent: Promise<void>;
  acknowledged: Promise<void>;
}

export interface HttpCounts {
  requests: number;
  retries: number;
  rateLimited: number;
}

interface Item {
  id: string;
  /** A page of the run (counted), or a removal (counted as removed; a tombstone in the latest topic). */
  removal: boolean;
  /** A facts update: kept in the latest topic under the page's facts key, not its page key. */
  facts?: boolean;
  internal: boolean;
  event: RawPageEventToWrite | HtmlPageEvent;
}

interface Message {
  key: string;
  partition?: number;
  value: Buffer | null;
}

export function createRunWriter(opts: {
  producer: Producer;
  codecs: Codecs;
  partitions: number;
  runId: string;
  sourceId: string;
  compression: Compression;
  /** The topic the run is written to: raw pages (a pull, or a replay that converts again) or HTML. */
  target?: 'rawPages' | 'htmlPages';
  /** For replays: what this one rebuilds (a run id, or the latest-pages topic's name). */
  replayOf?: string | null;
}): RunWriter {
  const { producer, codecs, partitions, runId, sourceId } = opts;
  const target = opts.target ?? 'rawPages';
  const replayOf = opts.replayOf ?? null;
  const topic = codecs[target].topic;
  /** Only a pull has news for the latest-pages topic. */
  const keepsLatest = target === 'rawPages' && replayOf === null;
  const encode = (event: RawPageEventToWrite | HtmlPageEvent) =>
    target === 'htmlPages'
      ? codecs.htmlPages.encode({ failure: null, ...event } as HtmlPageEvent)
      : codecs.rawPages.encode(event as RawPageEventToWrite);
  const compression = compressionType(opts.compression);
  const written = new Set<string>();
  const inPartition = new Array<number>(partitions).fill(0);
  const counts: RunCounts = { spaces: 0, pages: 0, personalPages: 0, unchanged: 0, removed: 0, bytes: 0 };
  let refresh: RefreshBase | null = null;
  const spans: PartitionSpan[] = Array.from({ length: partitions }, (_, partition) => ({
    partition,
    start: '',
    end: null,
  }));
  const startedAt = Date.now();

  const marker = (kind: RunMarkerKind, partition: number, reason: string | null = null): RunMarker => ({
    kind,
    partition,
    partitions,
    pagesInPartition: kind === 'END' ? (inPartition[partition] ?? 0) : 0,
    // Every page of the new version: those sent and those a refresh keeps from its base.
    pagesTotal: kind === 'END' ? counts.pages + counts.unchanged : 0,
    reason,
    at: Date.now(),
    replayOf,
    refresh: kind === 'START' ? refresh : null,
  });

  /** One marker per partition, in one acknowledged send; returns each partition's marker offset. */
  async function markers(kind: RunMarkerKind, reason: string | null = null): Promise<Map<number, string>> {
    const messages = await Promise.all(
      spans.map(async ({ partition }) => ({
        partition,
        value: await encode({
          runId,
          sourceId,
          page: null,
          marker: marker(kind, partition, reason),
          removal: null,
        }),
      })),
    );
    const acks = await producer.send({ topic, acks: -1, messages });
    return new Map(acks.map((a) => [a.partition, a.baseOffset ?? '']));
  }

  async function record(status: Run['status'], http: HttpCounts, error: string | null = null): Promise<Run> {
    const run: Run = {
      runId,
      sourceId,
      status,
      replayOf,
      baseRunId: refresh?.baseRunId ?? null,
      startedAt,
      endedAt: status === 'RUNNING' ? null : Date.now(),
      ...counts,
      pages: counts.pages + counts.unchanged, // the version's pages; `unchanged` of them were not sent
      requests: http.requests,
      retries: http.retries,
      rateLimited: http.rateLimited,
      error,
      topic,
      offsets: spans.map((s) => ({ ...s })),
    };
    await producer.send({
      topic: codecs.runs.topic,
      acks: -1,
      messages: [{ key: runId, value: await codecs.runs.encode(run) }],
    });
    return run;
  }

  async function finish(kind: 'END' | 'ABORT', http: HttpCounts, reason: string | null) {
    const offsets = await markers(kind, reason);
    for (const span of spans) span.end = offsets.get(span.partition) ?? null;
    return record(kind === 'END' ? 'SUCCEEDED' : 'FAILED', http, reason);
  }

  const inFlight = createBudget(MAX_BYTES_IN_FLIGHT);

  /**
   * A pull's records in the latest topic for one item: the page's raw record under its key (the raw
   * record's key, partition and buffer), its facts update under its facts key, or, for a removal,
   * tombstones of both. Both keys of a page are in its key's partition, so offsets order a facts update
   * after the record it amends.
   */
  function latestRecords(item: Item, key: string, partition: number, value: Buffer | null): Message[] {
    const facts = { key: latestFactsKey(sourceId, item.id), partition };
    if (item.removal)
      return [
        { key, partition, value: null },
        { ...facts, value: null },
      ];
    return [item.facts ? { ...facts, value } : { key, partition, value }];
  }

  /**
   * Sends each page once per run (ids already sent are skipped), iterating `batch` once: pages are
   * encoded one send at a time, as the in-flight budget allows, and let go of once encoded. A pull's
   * send carries the latest-pages records of the same pages (one request, acknowledged together).
   */
  function emit<T>(batch: Iterable<T>, describe: (item: T) => Item): Sending {
    const sends: Promise<unknown>[] = [];
    let failure = false;
    let messages: Message[] = [];
    let latest: Message[] = [];
    let size = 0;
    const flush = async () => {
      if (messages.length === 0) return;
      const bytes = size;
      const topicMessages = [{ topic, messages }];
      if (latest.length > 0) topicMessages.push({ topic: codecs.latestPages.topic, messages: latest });
      messages = [];
      latest = [];
      size = 0;
      await inFlight.take(bytes);
      const acked = producer
        .sendBatch({ acks: -1, compression, topicMessages })
        .finally(() => inFlight.give(bytes));
      acked.catch(() => (failure = true)); // reported through `acknowledged`; stops encoding meanwhile
      sends.push(acked);
    };
    const sent = (async () => {
      for (const next of batch) {
        if (failure) break;
        const item = describe(next);
        if (written.has(item.id)) continue;
        written.add(item.id);
        const value = await encode(item.event);
        const key = latestKey(sourceId, item.id);
        const partition = partitionOf(key, partitions);
        // The latest topic's copy shares the buffer when both subjects have the schema's id.
        const kept = !keepsLatest ? null : item.removal ? null : reframe(value, codecs.latestPages);
        const latestBytes = kept === null || kept === value ? 0 : kept.length;
        if (size + value.length + latestBytes > MAX_SEND_BYTES) await flush();
        messages.push({ key, partition, value });
        if (keepsLatest) latest.push(...latestRecords(item, key, partition, kept));
        size += value.length + latestBytes;
        if (item.removal) {
          counts.removed++;
          continue;
        }
        inPartition[partition]!++;
        counts.pages++;
        counts.bytes += value.length;
        if (item.internal) counts.personalPages++;
      }
      if (!failure) await flush();
    })();
    const acknowledged = sent.then(() => Promise.all(sends)).then(() => {});
    acknowledged.catch(() => {}); // callers that stop at a failed `sent` never await it
    return { sent, acknowledged };
  }

  return {
    counts,
    startedAt,
    async start(base = null) {
      refresh = base;
      const offsets = await markers('START');
      for (const span of spans) span.start = offsets.get(span.partition) ?? '';
      await record('RUNNING', { requests: 0, retries: 0, rateLimited: 0 });
    },
    pages: (batch) =>
      emit(batch, (page) => ({
        id: page.id,
        removal: false,
        internal: recordedVisibility(page).visibility === 'internal',
        event: { runId, sourceId, page, marker: null, removal: null },
      })),
    keep(count) {
      counts.unchanged += count;
    },
    facts: (updates) =>
      emit(updates, (facts) => ({
        id: facts.id,
        removal: false,
        facts: true,
        internal: recordedVisibility(facts).visibility === 'internal',
        event: { runId, sourceId, page: null, marker: null, removal: null, facts },
      })),
    forward: (batch) =>
      emit(batch, (event) => ({
        id: pageIdOf(event),
        removal: event.removal !== null,
        internal: (event.page ?? event.facts)?.visibility === 'internal',
        event: { ...event, runId, sourceId },
      })),
    remove: (removals) =>
      emit(removals, (removal) => ({
        id: removal.pageId,
        removal: true,
        internal: false,
        event:
          target === 'htmlPages'
            ? { runId, sourceId, page: null, failure: null, marker: null, removal }
            : { runId, sourceId, page: null, marker: null, removal },
      })),
    end: (http) => finish('END', http, null),
    abort: (reason, http) => finish('ABORT', http, reason),
  };
}
