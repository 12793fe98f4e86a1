// partitionOf is our own murmur2; records of every run so far were placed by kafkajs's default
// partitioner (Java's), so the two must agree on every key, whatever its characters or length.
import fc from 'fast-check';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { partitionOf } from '../../lib/kafka.ts';

const kafkajs = Partitioners.DefaultPartitioner();
const theirs = (key: string, partitions: number) =>
  kafkajs({
    topic: 't',
    partitionMetadata: Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    })),
    message: { key, value: null },
  });

describe('partitionOf', () => {
  it("picks kafkajs's default partitioner's partition for any key", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 40 }),
          fc.string({ unit: 'binary', maxLength: 500 }),
        ),
        fc.integer({ min: 1, max: 64 }),
        (key, partitions) => {
          expect(partitionOf(key, partitions)).toBe(theirs(key, partitions));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('agrees on the keys a run writes, and on a key longer than its scratch buffer', () => {
    for (let id = 0; id < 2000; id++) {
      const key = `01JSOURCE/${id * 7919}`;
      expect(partitionOf(key, 6)).toBe(theirs(key, 6));
    }
    const long = 'ж'.repeat(700);
    expect(partitionOf(long, 12)).toBe(theirs(long, 12));
  });
});
