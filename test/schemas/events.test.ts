// The envelope rule the Avro schemas cannot state: exactly one of page, failure, marker, removal and facts.
import { describe, expect, it } from 'vitest';
import { envelopeProblem } from '../../schemas/index.ts';

describe('envelopeProblem', () => {
  const base = { runId: 'R', sourceId: 's', page: null, failure: null, marker: null };
  it('accepts exactly one of page, failure and marker', () => {
    expect(envelopeProblem({ ...base, page: { id: '1' } })).toBeNull();
    expect(envelopeProblem({ ...base, failure: { pageId: '1', reason: 'x' } })).toBeNull();
    expect(envelopeProblem({ ...base, facts: { pageId: '1' } })).toBeNull();
    // A raw event has no failure field at all, and one written before facts updates no facts field.
    expect(envelopeProblem({ runId: 'R', sourceId: 's', page: null, marker: { kind: 'END' } })).toBeNull();
  });
  it('names what is wrong with an empty or an overfull envelope', () => {
    expect(envelopeProblem(base)).toBe(
      'the envelope holds neither a page, a failure, a marker, a removal nor a facts update',
    );
    expect(envelopeProblem({ ...base, page: {}, marker: {} })).toBe(
      'the envelope holds more than one of page, failure, marker, removal and facts (page, marker)',
    );
    expect(envelopeProblem({ ...base, page: {}, facts: {} })).toBe(
      'the envelope holds more than one of page, failure, marker, removal and facts (page, facts)',
    );
  });
});
