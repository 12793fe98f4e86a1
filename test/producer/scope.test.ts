import { describe, expect, it } from 'vitest';
import { everySpace, inScope } from '../../producer/scope.ts';

const space = (key: string, status = 'current') => ({ key, status });

describe('space scope', () => {
  it('every space by default, archived ones too', () => {
    expect(inScope(space('ENG'), everySpace)).toBe(true);
    expect(inScope(space('OLD', 'archived'), everySpace)).toBe(true);
    expect(inScope(space('~alice'), everySpace)).toBe(true);
  });

  it('include, then exclude, then archived out', () => {
    const scope = { include: ['ENG', 'OLD', 'HR'], exclude: ['HR'], archived: false };
    expect(inScope(space('ENG'), scope)).toBe(true);
    expect(inScope(space('OPS'), scope)).toBe(false);
    expect(inScope(space('HR'), scope)).toBe(false);
    expect(inScope(space('OLD', 'archived'), scope)).toBe(false);
    expect(inScope(space('~alice'), { ...everySpace, exclude: ['~alice'] })).toBe(false);
  });
});
