// The record batches of a Produce request (versions 3 and up), encoded by us instead of kafkajs, and each
// partition's records compressed once per request even when they go to two topics: a pull sends every
// page to the raw topic and to the latest-pages topic in one request, partition for partition with the
// same keys and values (producer/run-writer.ts), and kafkajs encoded, compressed and CRC'd each copy
// anew — in buffers zero-filled and grown by doubling per record and per batch, the producer's largest
// CPU cost after JSON (bench/README.md#producer-cpu-per-page). Here a partition's records are written
// into one buffer of their exact size, compressed through the codec kafkajs would use, and a second
// partition with the very same messages (same keys, same value buffers) reuses the compressed bytes.
// The wire format is Kafka's (RecordBatch v2, the Produce request of versions 3–7), byte for byte what
// kafkajs writes (test/lib/kafka-produce.test.ts), so every consumer and replay reads it unchanged.
// Installed once, by lib/kafka.ts, on the kafkajs request table every broker connection looks up.
import { createRequire } from 'node:module';
import { crc32c } from '@node-rs/crc32';

// kafkajs's protocol modules: CommonJS, not in its public API (pinned by package-lock.json; the test compares).
const require = createRequire(import.meta.url);
const { requests } = require('kafkajs/src/protocol/requests') as {
  requests: { Produce: { protocol: (v: { version: number }) => MakeProduce } };
};
const Encoder = require('kafkajs/src/protocol/encoder') as new (size?: number) => KafkaEncoder;
const { lookupCodec } = require('kafkajs/src/protocol/message/compression') as {
  lookupCodec: (type: number) => { compress(e: { buffer: Buffer }): Promise<Buffer> };
};

interface KafkaEncoder {
  buf: Buffer;
  offset: number;
}

type Value = Buffer | string | null | undefined;
export interface ProduceMessage {
  key?: Value;
  value: Value;
  timestamp?: string | number;
  headers?: Record<string, Value | Value[]>;
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  compression?: number;
  transactionalId?: string | null;
  producerId?: { toString(): string } | number;
  producerEpoch?: number;
  topicData: {
    topic: string;
    partitions: { partition: number; firstSequence?: number; messages: ProduceMessage[] }[];
  }[];
}

type MakeProduce = (args: ProduceArgs) => { request: { encode: () => Promise<unknown> }; response: unknown };

const MAGIC = 2;
const TRANSACTIONAL = 16;
const CODEC_MASK = 0x07;
/** Bytes of a batch before its records: base offset … first sequence, and the record count. */
const BATCH_HEADER = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

const bytesOf = (v: Value): Buffer | null =>
  v === null || v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(String(v));

const zigzag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);
function varintSize(n: number): number {
  let z = zigzag(n);
  let size = 1;
  while (z >= 128) {
    z = Math.floor(z / 128);
    size++;
  }
  return size;
}
/** A zigzag varint (Kafka's varint and varlong alike, for any safe integer); returns the next offset. */
function writeVarint(b: Buffer, at: number, n: number): number {
  let z = zigzag(n);
  while (z >= 128) {
    b[at++] = (z % 128) | 128;
    z = Math.floor(z / 128);
  }
  b[at++] = z;
  return at;
}
const bytesSize = (v: Buffer | null) => (v === null ? varintSize(-1) : varintSize(v.length) + v.length);
function writeBytes(b: Buffer, at: number, v: Buffer | null): number {
  if (v === null) return writeVarint(b, at, -1);
  at = writeVarint(b, at, v.length);
  return at + v.copy(b, at);
}

/** The timestamps kafkajs would give a partition's messages: theirs, or `now` for those without one. */
function timestampsOf(messages: ProduceMessage[], now: number) {
  const stamps = messages.map((m) => (m.timestamp == null ? now : Number(m.timestamp)));
  const given = messages.filter((m) => m.timestamp != null).map((m) => Number(m.timestamp));
  const first = given.length === 0 ? now : Math.min(...given);
  const max = given.length === 0 ? now : Math.max(...given);
  return { stamps, first, max };
}

/**
 * The buffer the last batch's records were written into, for the next batch: the records are garbage as
 * soon as they are compressed (or copied behind the batch header), and a fresh buffer per batch was a
 * pull's size in external memory again (~250 MB per 20,000 pages) that only a full collection frees once
 * its owner is old. Taken while a batch is being made (an asynchronous codec still reads it), given back after.
 */
let spare: Buffer | undefined;

/** A partition's records (Kafka's Record v2, in order), written into `spare` when it is large enough. */
function encodeRecords(messages: ProduceMessage[], stamps: number[], first: number) {
  const parts = messages.map((m, i) => {
    const headers = Object.entries(m.headers ?? {}).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((hv) => [Buffer.from(k), bytesOf(hv)] as const),
    );
    const key = bytesOf(m.key);
    const value = bytesOf(m.value);
    const delta = stamps[i]! - first;
    let body = 1 + varintSize(delta) + varintSize(i) + bytesSize(key) + bytesSize(value);
    body += varintSize(headers.length);
    for (const [hk, hv] of headers) body += bytesSize(hk) + bytesSize(hv);
    return { key, value, headers, delta, body };
  });
  const size = parts.reduce((n, p) => n + varintSize(p.body) + p.body, 0);
  // Never from Node's shared pool: the whole buffer is ours to write into again.
  const buffer = spare !== undefined && spare.length >= size ? spare : Buffer.allocUnsafeSlow(size);
  if (buffer === spare) spare = undefined;
  const out = buffer.subarray(0, size);
  let at = 0;
  parts.forEach((p, i) => {
    at = writeVarint(out, at, p.body);
    out[at++] = 0; // record attributes: none
    at = writeVarint(out, at, p.delta);
    at = writeVarint(out, at, i);
    at = writeBytes(out, at, p.key);
    at = writeBytes(out, at, p.value);
    at = writeVarint(out, at, p.headers.length);
    for (const [hk, hv] of p.headers) at = writeBytes(out, writeBytes(out, at, hk), hv);
  });
  return { plain: out, buffer };
}

/** Two partitions' messages are the same records when every key, value, timestamp and header is. */
const sameRecords = (a: ProduceMessage[], b: ProduceMessage[]) =>
  a.length === b.length &&
  a.every(
    (m, i) =>
      m.key === b[i]!.key &&
      m.value === b[i]!.value &&
      m.timestamp === b[i]!.timestamp &&
      m.headers === b[i]!.headers,
  );

interface Batch {
  compression: number;
  attributes: number;
  producerId: bigint;
  producerEpoch: number;
  firstSequence: number;
  now: number;
}

/** A partition's record batch (RecordBatch v2): header, CRC-32C, and its records, compressed if asked. */
async function recordBatch(messages: ProduceMessage[], b: Batch): Promise<Buffer> {
  const { stamps, first, max } = timestampsOf(messages, b.now);
  const { plain, buffer } = encodeRecords(messages, stamps, first);
  const codec = b.compression & CODEC_MASK ? lookupCodec(b.compression) : null;
  if (b.compression & CODEC_MASK && !codec) throw new Error(`no codec for compression type ${b.compression}`);
  const records = codec ? await codec.compress({ buffer: plain }) : plain;
  const out = Buffer.allocUnsafe(BATCH_HEADER + records.length);
  out.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  out.writeInt32BE(BATCH_HEADER - 12 + records.length, 8); // the batch's length after this field
  out.writeInt32BE(0, 12); // partition leader epoch
  out.writeInt8(MAGIC, 16);
  out.writeInt16BE(b.attributes, 21);
  out.writeInt32BE(messages.length - 1, 23); // last offset delta
  out.writeBigInt64BE(BigInt(first), 27);
  out.writeBigInt64BE(BigInt(max), 35);
  out.writeBigInt64BE(b.producerId, 43);
  out.writeInt16BE(b.producerEpoch, 51);
  out.writeInt32BE(b.firstSequence, 53);
  out.writeInt32BE(messages.length, 57);
  records.copy(out, 61);
  // CRC-32C of attributes … records. Native (SSE4.2 / ARMv8 CRC instructions): kafkajs's table loop in
  // JavaScript ran at ~360 MB/s against ~3.7 GB/s, 2–6% of a pull's CPU.
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  if (spare === undefined || buffer.length > spare.length) spare = buffer;
  return out;
}

/**
 * The Produce request's body (versions 3–7 share it), as kafkajs's encoder for those versions writes it.
 * `now` stands for kafkajs's Date.now() at encoding: the timestamp of messages without one. A partition
 * whose messages are those of one already encoded in this request (and whose sequence is the same: it
 * always is without idempotence) gets the same batch: records, compression and CRC are done once.
 */
export async function encodeProduce(args: ProduceArgs, now = Date.now()): Promise<Buffer> {
  const compression = args.compression ?? 0;
  const common = {
    compression,
    attributes: (compression & CODEC_MASK) | (args.transactionalId ? TRANSACTIONAL : 0),
    producerId: BigInt(String(args.producerId ?? -1)),
    producerEpoch: args.producerEpoch ?? 0,
    now,
  };
  const done: { messages: ProduceMessage[]; firstSequence: number; batch: Buffer }[] = [];
  const topics: Buffer[] = [];
  for (const { topic, partitions } of args.topicData) {
    topics.push(string(topic), int32(partitions.length));
    for (const { partition, firstSequence = 0, messages } of partitions) {
      let batch = done.find(
        (d) => d.firstSequence === firstSequence && sameRecords(d.messages, messages),
      )?.batch;
      if (!batch) {
        batch = await recordBatch(messages, { ...common, firstSequence });
        done.push({ messages, firstSequence, batch });
      }
      topics.push(int32(partition), int32(batch.length), batch);
    }
  }
  return Buffer.concat([
    args.transactionalId == null ? int16(-1) : string(args.transactionalId),
    int16(args.acks),
    int32(args.timeout),
    int32(args.topicData.length),
    ...topics,
  ]);
}

function int16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n);
  return b;
}
function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n);
  return b;
}
const string = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)]);

let installed = false;
/** Makes every Produce request of version 3 and up (any broker since Kafka 0.11) encode through `encodeProduce`. */
export function installProduceEncoder(): void {
  if (installed) return;
  installed = true;
  const { Produce } = requests;
  const protocol = Produce.protocol;
  Produce.protocol = ({ version }) => {
    const make = protocol({ version });
    if (version < 3) return make;
    return (args) => {
      const made = make(args);
      made.request.encode = async () => {
        const body = await encodeProduce(args);
        const encoder = new Encoder(0);
        encoder.buf = body;
        encoder.offset = body.length;
        return encoder;
      };
      return made;
    };
  };
}
