// Feeding and reading the transformer's topics on the real stack: raw runs written as the producer
// writes them (START on every partition, pages keyed by id, END with counts), topics read back in order.
import { CompressionTypes, partitionOf, type Kafka, type Producer } from '../../lib/kafka.ts';
import type { Codec } from '../../lib/registry.ts';
import type { RawPage, RawPageEvent, RunMarker, RunMarkerKind, Space } from '../../schemas/index.ts';
import { RAW_PAGE_DEFAULTS } from '../page-defaults.ts';

export const ENG: Space = { id: '1', key: 'ENG', name: 'Engineering', type: 'global', status: 'current' };

export function rawPage(id: string, body: string, space: Space = ENG, over: Partial<RawPage> = {}): RawPage {
  return {
    id,
    title: `Page ${id}`,
    status: 'current',
    version: 1,
    versionCreatedAt: '2026-01-02T03:04:05.000Z',
    parentId: null,
    space,
    body,
    url: `https://acme.atlassian.net/wiki/spaces/${encodeURIComponent(space.key)}/pages/${id}/Page+${id}`,
    fetchedAt: Date.now(),
    ...RAW_PAGE_DEFAULTS,
    ...over,
  };
}

/** Writes one run to the raw topic in parts, as the producer would (each page on its key's partition). */
export function rawRunWriter(
  producer: Producer,
  codec: Codec<RawPageEvent>,
  run: { runId: string; sourceId: string; partitions: number },
) {
  const perPartition = new Array<number>(run.partitions).fill(0);
  const send = async (messages: { key: string | null; partition: number; event: RawPageEvent }[]) => {
    const encoded = await Promise.all(
      messages.map(async (m) => ({ key: m.key, partition: m.partition, value: await codec.encode(m.event) })),
    );
    for (let i = 0; i < encoded.length; i += 500) {
      // gzip, as the producer writes by default.
      await producer.send({
        topic: codec.topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: encoded.slice(i, i + 500),
      });
    }
  };
  const markers = (kind: RunMarkerKind) =>
    send(
      perPartition.map((pagesInPartition, partition) => {
        const marker: RunMarker = {
          kind,
          partition,
          partitions: run.partitions,
          pagesInPartition: kind === 'END' ? pagesInPartition : 0,
          pagesTotal: kind === 'END' ? perPartition.reduce((a, b) => a + b, 0) : 0,
          reason: null,
          at: Date.now(),
          replayOf: null,
          refresh: null,
        };
        return {
          key: null,
          partition,
          event: { runId: run.runId, sourceId: run.sourceId, page: null, marker, removal: null },
        };
      }),
    );
  return {
    start: () => markers('START'),
    end: () => markers('END'),
    pages: (pages: RawPage[]) =>
      send(
        pages.map((page) => {
          const partition = partitionOf(page.id, run.partitions);
          perPartition[partition]!++;
          return {
            key: page.id,
            partition,
            event: { runId: run.runId, sourceId: run.sourceId, page, marker: null, removal: null },
          };
        }),
      ),
  };
}

export interface Read<T> {
  partition: number;
  offset: number;
  key: string | null;
  value: T;
  headers: Record<string, string>;
}

/** Reads `topic` from the beginning until `enough(records)` holds; records in per-partition order. */
export async function readUntil<T>(
  kafka: Kafka,
  topic: string,
  decode: (b: Buffer) => Promise<T>,
  enough: (records: Read<T>[]) => boolean,
  timeoutMs = 60_000,
): Promise<Read<T>[]> {
  const consumer = kafka.consumer({
    groupId: `${topic}-reader-${Math.random().toString(36).slice(2)}`,
    maxBytesPerPartition: 17 * 1024 * 1024,
  });
  const records: Read<T>[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out reading ${topic}: ${records.length} records so far`)),
        timeoutMs,
      );
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              records.push({
                partition: batch.partition,
                offset: Number(m.offset),
                key: m.key?.toString() ?? null,
                value: await decode(m.value!),
                headers: Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)])),
              });
            }
            if (enough(records)) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
