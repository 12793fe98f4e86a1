// Bulk writes: requests sized by bytes and count, a few in flight at once, retried while Elasticsearch
// is overloaded or away, and every per-item result inspected: items that may succeed later (429, 5xx)
// are sent again; items Elasticsearch refuses (a 4xx such as a mapping error) are handed back to the
// caller, which records them as failures of their page — never dropped silently.
import type { estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { backoffMs, isRetryableStatus, sleep } from './retry.ts';

export interface BulkItem {
  index: string;
  id: string;
  /** The document's JSON, serialized once (its size decides the chunking); null deletes the document. */
  source: string | Buffer | null;
  /** `source` is a partial update (`{"doc": …}`) of a document the index holds, which must exist. */
  update?: boolean;
}

export interface Rejection {
  item: BulkItem;
  status: number;
  reason: string;
}

export interface Chunk {
  items: BulkItem[];
  bytes: number;
}

const actionOf = (item: BulkItem) => (item.source === null ? 'delete' : item.update ? 'update' : 'index');

const actionLine = (item: BulkItem) =>
  JSON.stringify({ [actionOf(item)]: { _index: item.index, _id: item.id } });

/** A bulk request's lines for one item: a deletion has no document line. */
const lines = (item: BulkItem) =>
  item.source === null ? [actionLine(item)] : [actionLine(item), item.source];

/**
 * A bulk request's body, NDJSON as UTF-8 bytes written once into one Buffer. Given the lines, the
 * client would join them into one string (megabytes in V8's large-object space per request, kept there
 * until a full collection: 45 MB at the indexer's peak) and then encode that string again.
 */
export function bulkBody(items: BulkItem[]): Buffer {
  const all = items.flatMap(lines);
  const body = Buffer.allocUnsafe(all.reduce((n, line) => n + Buffer.byteLength(line) + 1, 0));
  let at = 0;
  for (const line of all) {
    at += typeof line === 'string' ? body.write(line, at) : line.copy(body, at);
    body[at++] = 0x0a; // \n
  }
  return body;
}

/** Splits items into bulk requests of at most maxDocs items and (unless one item alone is larger) maxBytes. */
export function chunkItems(items: BulkItem[], maxBytes: number, maxDocs: number): Chunk[] {
  const chunks: Chunk[] = [];
  let current: Chunk = { items: [], bytes: 0 };
  for (const item of items) {
    const size = Buffer.byteLength(item.source ?? '') + actionLine(item).length + 2;
    if (current.items.length > 0 && (current.items.length >= maxDocs || current.bytes + size > maxBytes)) {
      chunks.push(current);
      current = { items: [], bytes: 0 };
    }
    current.items.push(item);
    current.bytes += size;
  }
  if (current.items.length > 0) chunks.push(current);
  return chunks;
}

export interface BulkOptions {
  maxBytes: number;
  maxDocs: number;
  concurrency: number;
  /** After each request: keep the Kafka session alive during long batches. */
  heartbeat(): Promise<void>;
  onRequest?(seconds: number, docs: number, bytes: number): void;
}

interface ItemResult {
  status: number;
  error?: { type?: string; reason?: string | null } | undefined;
}

/** Writes all items; resolves with the items Elasticsearch refused for good. */
export async function writeBulk(
  es: Elasticsearch,
  items: BulkItem[],
  opts: BulkOptions,
): Promise<Rejection[]> {
  const queue = chunkItems(items, opts.maxBytes, opts.maxDocs);
  const rejections: Rejection[] = [];
  const worker = async () => {
    for (let chunk = queue.shift(); chunk; chunk = queue.shift()) {
      rejections.push(...(await writeChunk(es, chunk, opts)));
      await opts.heartbeat();
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, queue.length) }, worker));
  return rejections;
}

async function writeChunk(es: Elasticsearch, chunk: Chunk, opts: BulkOptions): Promise<Rejection[]> {
  const rejected: Rejection[] = [];
  let pending = chunk.items;
  for (let attempt = 0; ; attempt++) {
    const started = performance.now();
    const response = await es.bulk({
      // The transport sends a Buffer as the ready NDJSON body (@elastic/transport's RequestNDBody).
      operations: bulkBody(pending) as unknown as estypes.BulkOperationContainer[],
      // Only what is inspected below: the full answer is ~250 bytes per item, parsed whole.
      filter_path: 'errors,items.*.status,items.*.error',
    });
    opts.onRequest?.((performance.now() - started) / 1000, pending.length, chunk.bytes);
    if (!response.errors) return rejected;
    const retry: BulkItem[] = [];
    response.items.forEach((entry, i) => {
      const result = Object.values(entry)[0] as ItemResult;
      const item = pending[i]!;
      // Deleting a page the index does not hold leaves it as wanted.
      if (result.status < 300 || (item.source === null && result.status === 404)) return;
      if (isRetryableStatus(result.status)) retry.push(item);
      else
        rejected.push({
          item,
          status: result.status,
          reason: `${result.error?.type ?? 'error'}: ${result.error?.reason ?? 'no reason given'}`,
        });
    });
    if (retry.length === 0) return rejected;
    // Some items were refused for now (e.g. a full write queue): wait, then send only those again.
    await opts.heartbeat();
    await sleep(backoffMs(attempt, 200, 5_000));
    pending = retry;
  }
}
