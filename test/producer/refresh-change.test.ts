// What a refresh does with each listed page of its base: keep it, send its new facts without its body,
// or fetch its body.
import { describe, expect, it } from 'vitest';
import { refreshChange } from '../../producer/pull.ts';

const base = { version: 3, fingerprint: 'f1', spaceKey: 'ENG' };

describe('refreshChange', () => {
  it('keeps a page whose version and fingerprint are the live ones', () => {
    expect(refreshChange(base, { version: 3, fingerprint: 'f1' }, 'ENG')).toBe('unchanged');
  });
  it('sends only the facts of a page whose facts changed and whose version and space did not', () => {
    expect(refreshChange(base, { version: 3, fingerprint: 'f2' }, 'ENG')).toBe('facts');
  });
  it('fetches the body of a new version, a page new to the base, or one moved to another space', () => {
    expect(refreshChange(base, { version: 4, fingerprint: 'f1' }, 'ENG')).toBe('body');
    expect(refreshChange(undefined, { version: 1, fingerprint: 'f1' }, 'ENG')).toBe('body');
    // Its links resolve against its space: the HTML itself changes.
    expect(refreshChange(base, { version: 3, fingerprint: 'f2' }, 'OPS')).toBe('body');
  });
  it('fetches the body when the live document predates fingerprints or names no space', () => {
    expect(refreshChange({ ...base, fingerprint: null }, { version: 3, fingerprint: 'f2' }, 'ENG')).toBe(
      'body',
    );
    expect(refreshChange({ ...base, spaceKey: null }, { version: 3, fingerprint: 'f2' }, 'ENG')).toBe('body');
  });
});
