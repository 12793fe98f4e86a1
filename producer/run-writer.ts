// The Kafka side of a run, per docs/architecture.md: START on every partition, each page once (keyed
// and explicitly partitioned by page id, so per-partition counts are exact), then END with the counts
// or ABORT with the reason; and the run's record on the runs topic at start and at the end.
import { CompressionTypes, partitionOf, type Producer } from '../lib/kafka.ts';
import type { Codecs } from '../lib/registry.ts';
import type { PartitionSpan, RawPage, Run, RunMarker, RunMarkerKind } from '../schemas/index.ts';
import { visibilityOf } from '../transformer/visibility.ts';

/** Bigger sends are split: the broker refuses batches over the topic's max.message.bytes (16 MB). */
const MAX_SEND_BYTES = 1024 * 1024;

export interface RunCounts {
  spaces: number;
  pages: number;
  personalPages: number;
  /** Avro bytes of the page records the run emitted. */
  bytes: number;
}

export interface RunWriter {
  readonly counts: RunCounts;
  readonly startedAt: number;
  start(): Promise<void>;
  /** Sends a listing page's pages (skipping ids already sent this run); resolves once Kafka acknowledged them. */
  pages(batch: RawPage[]): Promise<void>;
  /** END on every partition and the SUCCEEDED record. Call only once every `pages()` has resolved. */
  end(http: HttpCounts): Promise<Run>;
  /** ABORT on every partition and the FAILED record. */
  abort(reason: string, http: HttpCounts): Promise<Run>;
}

export interface HttpCounts {
  requests: number;
  retries: number;
  rateLimited: number;
}

export function createRunWriter(opts: {
  producer: Producer;
  codecs: Codecs;
  partitions: number;
  runId: string;
  sourceId: string;
  compression: 'gzip' | 'none';
}): RunWriter {
  const { producer, codecs, partitions, runId, sourceId } = opts;
  const topic = codecs.rawPages.topic;
  const compression = opts.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  const sent = new Set<string>();
  const inPartition = new Array<number>(partitions).fill(0);
  const counts: RunCounts = { spaces: 0, pages: 0, personalPages: 0, bytes: 0 };
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
    pagesTotal: kind === 'END' ? counts.pages : 0,
    reason,
    at: Date.now(),
    replayOf: null,
  });

  /** One marker per partition, in one acknowledged send; returns each partition's marker offset. */
  async function markers(kind: RunMarkerKind, reason: string | null = null): Promise<Map<number, string>> {
    const messages = await Promise.all(
      spans.map(async ({ partition }) => ({
        partition,
        value: await codecs.rawPages.encode({
          runId,
          sourceId,
          page: null,
          marker: marker(kind, partition, reason),
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
      replayOf: null,
      startedAt,
      endedAt: status === 'RUNNING' ? null : Date.now(),
      ...counts,
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

  return {
    counts,
    startedAt,
    async start() {
      const offsets = await markers('START');
      for (const span of spans) span.start = offsets.get(span.partition) ?? '';
      await record('RUNNING', { requests: 0, retries: 0, rateLimited: 0 });
    },
    async pages(batch) {
      const fresh = batch.filter((p) => !sent.has(p.id));
      for (const page of fresh) sent.add(page.id);
      let messages: { key: string; partition: number; value: Buffer }[] = [];
      let size = 0;
      const sends: Promise<unknown>[] = [];
      const flush = () => {
        if (messages.length > 0) sends.push(producer.send({ topic, acks: -1, compression, messages }));
        messages = [];
        size = 0;
      };
      for (const page of fresh) {
        const value = await codecs.rawPages.encode({ runId, sourceId, page, marker: null });
        const partition = partitionOf(page.id, partitions);
        if (size + value.length > MAX_SEND_BYTES) flush();
        messages.push({ key: page.id, partition, value });
        size += value.length;
        inPartition[partition]!++;
        counts.pages++;
        counts.bytes += value.length;
        if (visibilityOf(page.space) === 'internal') counts.personalPages++;
      }
      flush();
      await Promise.all(sends);
    },
    end: (http) => finish('END', http, null),
    abort: (reason, http) => finish('ABORT', http, reason),
  };
}
