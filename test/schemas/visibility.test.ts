import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { visibilityOf } from '../../schemas/visibility.ts';

const anyType = fc.oneof(
  fc.constantFrom(
    'global',
    'personal',
    'PERSONAL',
    ' Personal ',
    'collaboration',
    'knowledge_base',
    '',
    'unknown',
  ),
  fc.string(),
  fc.constant(null),
  fc.constant(undefined),
);

describe('visibilityOf', () => {
  it('a personal space (key starting with ~) is internal whatever its type says', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string({ maxLength: 3 }).filter((s) => s.trim() === ''),
        anyType,
        (rest, pad, type) => {
          expect(visibilityOf({ key: `${pad}~${rest}`, type })).toBe('internal');
        },
      ),
    );
  });

  it('a space typed personal is internal whatever its key', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom('personal', 'Personal', 'PERSONAL', ' personal'),
        (key, type) => {
          expect(visibilityOf({ key, type })).toBe('internal');
        },
      ),
    );
  });

  it('a personal page is never public, over any generated space', () => {
    const space = fc.record({
      key: fc.oneof(
        fc.string(),
        fc.string().map((s) => `~${s}`),
      ),
      type: anyType,
    });
    fc.assert(
      fc.property(space, (s) => {
        const personal =
          s.key.trim().startsWith('~') ||
          (typeof s.type === 'string' && s.type.trim().toLowerCase() === 'personal');
        if (personal) expect(visibilityOf(s)).toBe('internal');
      }),
    );
  });

  it('missing or malformed data is internal, never public', () => {
    expect(visibilityOf({ key: '' })).toBe('internal');
    expect(visibilityOf({ key: '   ', type: 'global' })).toBe('internal');
    expect(visibilityOf({ key: undefined as unknown as string, type: 'global' })).toBe('internal');
    expect(visibilityOf(null as unknown as { key: string })).toBe('internal');
    expect(visibilityOf({ key: 'ENG', type: 42 as unknown as string })).toBe('internal');
  });

  it('other spaces are public', () => {
    for (const type of ['global', 'collaboration', 'knowledge_base', null, undefined])
      expect(visibilityOf({ key: 'ENG', type })).toBe('public');
  });
});
