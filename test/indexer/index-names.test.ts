import { describe, expect, it } from 'vitest';
import {
  aliasName,
  isRunIndexOf,
  parseRunIndexName,
  runIndexName,
  runsIndexName,
} from '../../indexer/index-names.ts';
import { newRunId } from '../../lib/run-id.ts';

describe('index names', () => {
  const runId = newRunId();

  it('names a run index after its source and run, in lower case', () => {
    expect(runIndexName('cks', 'acme', runId)).toBe(`cks-acme-${runId.toLowerCase()}`);
    expect(aliasName('cks', 'acme')).toBe('cks-acme');
  });

  it('reads the source and run back from a run index name, dashes in the source id included', () => {
    for (const sourceId of ['acme', 'acme-atlassian-net', 'a-b-c-d'])
      expect(parseRunIndexName('cks', runIndexName('cks', sourceId, runId))).toEqual({ sourceId, runId });
    expect(parseRunIndexName('cks-test-1', runIndexName('cks-test-1', 'acme', runId))).toEqual({
      sourceId: 'acme',
      runId,
    });
  });

  it('reads nothing from names that are not run indices of the prefix', () => {
    for (const name of [
      runsIndexName('cks'),
      aliasName('cks', 'acme'),
      runIndexName('other', 'acme', runId),
      `cks-acme-${runId.toLowerCase()}x`,
      `cks-${runId.toLowerCase()}`,
    ])
      expect(parseRunIndexName('cks', name)).toBeNull();
  });

  it("tells one source's run indices from another's whose id starts the same", () => {
    expect(isRunIndexOf('cks', 'acme', runIndexName('cks', 'acme', runId))).toBe(true);
    expect(isRunIndexOf('cks', 'acme', runIndexName('cks', 'acme-eu', runId))).toBe(false);
    expect(isRunIndexOf('cks', 'acme-eu', runIndexName('cks', 'acme', runId))).toBe(false);
  });
});
