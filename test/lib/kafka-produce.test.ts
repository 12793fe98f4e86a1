// Our Produce request encoding against kafkajs's own: for any messages (keys and values null, strings or
// bytes, headers, timestamps or none), any partitions and topics, with and without compression, the
// request bytes are exactly those kafkajs's encoder writes, and kafkajs's decoder reads the records back.
// Partitions with the very same messages (a page sent to two topics) are compressed once.
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CompressionCodecs, CompressionTypes } from '../../lib/kafka.ts';
import { encodeProduce, type ProduceArgs, type ProduceMessage } from '../../lib/kafka-produce.ts';

const require = createRequire(import.meta.url);
type Encode = (args: ProduceArgs) => { encode: () => Promise<{ buffer: Buffer }> };
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request') as Encode;
const Decoder = require('kafkajs/src/protocol/decoder') as new (b: Buffer) => {
  readInt32(): number;
};
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: unknown) => Promise<{
  records: { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[]> }[];
}>;

const NOW = 1_764_590_000_000;
const value = fc.oneof(
  fc.constant(null),
  fc.string({ unit: 'binary' }),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
);
const message: fc.Arbitrary<ProduceMessage> = fc.record(
  {
    key: value,
    value,
    timestamp: fc.integer({ min: NOW - 1e9, max: NOW + 1e9 }),
    headers: fc.dictionary(
      fc.string(),
      fc.oneof(fc.string({ unit: 'binary' }), fc.array(fc.string(), { minLength: 1, maxLength: 2 })),
      { maxKeys: 2 },
    ),
  },
  { requiredKeys: ['value'] },
);
const args = (compression: number) =>
  fc.record({
    acks: fc.constantFrom(-1, 0, 1),
    timeout: fc.nat(),
    compression: fc.constant(compression),
    transactionalId: fc.option(fc.string(), { nil: null }),
    producerEpoch: fc.nat({ max: 32767 }),
    topicData: fc.array(
      fc.record({
        topic: fc.string({ minLength: 1 }),
        partitions: fc.array(
          fc.record({
            partition: fc.nat({ max: 50 }),
            firstSequence: fc.nat(),
            messages: fc.array(message, { minLength: 1, maxLength: 6 }),
          }),
          { minLength: 1, maxLength: 3 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  });

async function kafkajsBytes(a: ProduceArgs): Promise<Buffer> {
  vi.spyOn(Date, 'now').mockReturnValue(NOW);
  return (await kafkajsProduceV3(a).encode()).buffer;
}

afterEach(() => vi.restoreAllMocks());

describe('encodeProduce', () => {
  for (const [name, type] of [
    ['uncompressed', CompressionTypes.None],
    ['gzip', CompressionTypes.GZIP],
    ['zstd', CompressionTypes.ZSTD],
  ] as const)
    it(`writes what kafkajs writes (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(args(type), async (a) => {
          expect(await encodeProduce(a, NOW)).toEqual(await kafkajsBytes(a));
        }),
        { numRuns: type === CompressionTypes.None ? 200 : 60 },
      );
    });

  it('writes what kafkajs writes when requests are encoded at once (an asynchronous codec still reads its input)', async () => {
    // The records' buffer is reused by the next batch: two requests in flight must not share it.
    const many = fc.sample(args(CompressionTypes.GZIP), { numRuns: 12, seed: 7 });
    const ours = await Promise.all(many.map((a) => encodeProduce(a, NOW)));
    for (const [i, a] of many.entries()) expect(ours[i]).toEqual(await kafkajsBytes(a));
  });

  it('gives messages without a timestamp the time of encoding, as kafkajs does', async () => {
    const a: ProduceArgs = {
      acks: -1,
      timeout: 1000,
      compression: CompressionTypes.ZSTD,
      topicData: [{ topic: 't', partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v' }] }] }],
    };
    expect(await encodeProduce(a, NOW)).toEqual(await kafkajsBytes(a));
  });

  it('reads back through kafkajs’s batch decoder', async () => {
    const messages = [
      { key: 'acme/1', value: Buffer.from('page one'), headers: { h: ['a', 'b'] } },
      { key: null, value: null },
    ];
    const body = await encodeProduce(
      {
        acks: -1,
        timeout: 1,
        compression: CompressionTypes.ZSTD,
        topicData: [{ topic: 'raw', partitions: [{ partition: 3, messages }] }],
      },
      NOW,
    );
    // transactional id (2), acks (2), timeout (4), topics (4), "raw" (2 + 3), partitions (4), partition (4), size (4)
    const batch = body.subarray(29);
    expect(new Decoder(body.subarray(25)).readInt32()).toBe(batch.length);
    const { records } = await decodeBatch(new Decoder(batch));
    expect(records.map((r) => [r.key?.toString() ?? null, r.value?.toString() ?? null])).toEqual([
      ['acme/1', 'page one'],
      [null, null],
    ]);
    expect((records[0]!.headers.h as Buffer[]).map((b) => b.toString())).toEqual(['a', 'b']);
  });

  it('compresses the same messages once for two topics', async () => {
    const zstd = CompressionCodecs[CompressionTypes.ZSTD]!;
    let calls = 0;
    CompressionCodecs[CompressionTypes.ZSTD] = () => {
      const codec = zstd();
      return { ...codec, compress: (e: { buffer: Buffer }) => (calls++, codec.compress(e)) };
    };
    try {
      const messages = [{ key: 'acme/1', value: Buffer.from('x'.repeat(1000)) }];
      const other = [{ key: 'acme/2', value: messages[0]!.value }];
      const a: ProduceArgs = {
        acks: -1,
        timeout: 1,
        compression: CompressionTypes.ZSTD,
        topicData: [
          {
            topic: 'raw',
            partitions: [
              { partition: 0, messages },
              { partition: 1, messages: other },
            ],
          },
          {
            topic: 'latest',
            partitions: [
              { partition: 0, messages: [...messages] },
              { partition: 1, messages: other },
            ],
          },
        ],
      };
      const bytes = await encodeProduce(a, NOW);
      expect(calls).toBe(2);
      calls = 0;
      expect(bytes).toEqual(await kafkajsBytes(a));
      expect(calls).toBe(4);
    } finally {
      CompressionCodecs[CompressionTypes.ZSTD] = zstd;
    }
  });
});
