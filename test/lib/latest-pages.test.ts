// The latest-pages topic's key format and its inverse, and a record framed for another subject.
import { describe, expect, it } from 'vitest';
import { latestFactsKey, latestKey, latestKeyPrefix, parseLatestKey } from '../../lib/latest-pages.ts';
import { reframe } from '../../lib/registry.ts';

describe('latest-pages keys', () => {
  it('round-trip a source and page id', () => {
    for (const [sourceId, pageId] of [
      ['acme-atlassian-net', '123456'],
      ['dc-example-com-confluence', '98'],
    ] as const) {
      const key = latestKey(sourceId, pageId);
      expect(key).toBe(`${sourceId}/${pageId}`);
      expect(parseLatestKey(key)).toEqual({ sourceId, pageId, facts: false });
      expect(parseLatestKey(latestFactsKey(sourceId, pageId))).toEqual({ sourceId, pageId, facts: true });
      expect(key.startsWith(latestKeyPrefix(sourceId))).toBe(true);
      expect(latestFactsKey(sourceId, pageId).startsWith(latestKeyPrefix(sourceId))).toBe(true);
    }
  });

  it('a source is never the prefix of another source', () => {
    expect(latestKey('acme-2', '1').startsWith(latestKeyPrefix('acme'))).toBe(false);
  });

  it('refuses keys that are not ours', () => {
    for (const key of [null, '', 'no-separator', '/1', 'acme/']) expect(parseLatestKey(key)).toBeNull();
  });
});

describe('reframe', () => {
  const framed = Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]);
  it('keeps the buffer when the schema ids agree', () => {
    expect(reframe(framed, { schemaId: 7 })).toBe(framed);
  });
  it('copies the Avro bytes under the other schema id, leaving the original alone', () => {
    const other = reframe(framed, { schemaId: 0x01020304 });
    expect([...other]).toEqual([0, 1, 2, 3, 4, 1, 2, 3]);
    expect([...framed]).toEqual([0, 0, 0, 0, 7, 1, 2, 3]);
  });
});
