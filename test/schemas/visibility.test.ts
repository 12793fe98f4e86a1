import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideVisibility,
  recordedVisibility,
  type PageFacts,
  type VisibilityPolicy,
} from '../../schemas/visibility.ts';

const open = (space: PageFacts['space'], over: Partial<PageFacts> = {}): PageFacts => ({
  space,
  restricted: false,
  ancestorRestricted: false,
  labels: [],
  ...over,
});
const policy: VisibilityPolicy = {
  internalLabels: ['internal-only'],
  spaceAudience: { HR: 'internal', ONB: 'public' },
};

const anyType = fc.oneof(
  fc.constantFrom(
    'global',
    'personal',
    'PERSONAL',
    ' Personal ',
    'collaboration',
    'knowledge_base',
    'system',
    '',
  ),
  fc.string(),
  fc.constant(null),
  fc.constant(undefined),
);
const anyFacts = fc.record({
  space: fc.record({
    key: fc.oneof(
      fc.string(),
      fc.string().map((s) => `~${s}`),
      fc.constantFrom('HR', 'ONB'),
    ),
    type: anyType,
  }),
  restricted: fc.constantFrom(true, false, null),
  ancestorRestricted: fc.constantFrom(true, false, null),
  labels: fc.array(fc.constantFrom('internal-only', 'INTERNAL-ONLY', 'howto', '')),
});

describe('decideVisibility', () => {
  it('public only in a knowledge space with nothing restricting the page', () => {
    for (const type of ['global', 'collaboration', 'knowledge_base', ' Global '])
      expect(decideVisibility(open({ key: 'ENG', type }))).toEqual({
        visibility: 'public',
        reason: 'default',
      });
  });

  it('gives each kind of internal page its reason', () => {
    const eng = { key: 'ENG', type: 'global' };
    const cases: [PageFacts, string][] = [
      [open({ key: '~5b10a2844c20165700ede21g', type: 'global' }), 'personal-space'],
      [open({ key: 'ENG', type: 'personal' }), 'personal-space'],
      [open({ key: 'SYS', type: 'system' }), 'space-type'],
      [open({ key: 'ONBOARD', type: 'onboarding' }), 'space-type'],
      [open({ key: 'X', type: 'xflow_sample_space' }), 'space-type'],
      [open({ key: 'X', type: null }), 'space-type'],
      [open(eng, { restricted: true }), 'restricted'],
      [open(eng, { ancestorRestricted: true }), 'restricted-ancestor'],
      [open(eng, { restricted: null }), 'restrictions-unreadable'],
      [open(eng, { ancestorRestricted: null }), 'restrictions-unreadable'],
      [open(eng, { labels: ['Internal-Only'] }), 'label'],
      [open({ key: 'HR', type: 'global' }), 'space-override'],
    ];
    for (const [facts, reason] of cases)
      expect(decideVisibility(facts, policy), JSON.stringify(facts)).toEqual({
        visibility: 'internal',
        reason,
      });
  });

  it('a space override can make a non-knowledge space public, never a restricted or personal page', () => {
    expect(decideVisibility(open({ key: 'ONB', type: 'onboarding' }), policy)).toEqual({
      visibility: 'public',
      reason: 'space-override',
    });
    expect(
      decideVisibility(open({ key: 'ONB', type: 'onboarding' }, { restricted: true }), policy).visibility,
    ).toBe('internal');
    const personal: VisibilityPolicy = { internalLabels: [], spaceAudience: { '~me': 'public' } };
    expect(decideVisibility(open({ key: '~me', type: 'personal' }), personal).reason).toBe('personal-space');
  });

  it('never public when anything restricts, is unknown, or the space is personal (any input)', () => {
    fc.assert(
      fc.property(anyFacts, (f) => {
        const d = decideVisibility(f, policy);
        const personal =
          f.space.key.trim().startsWith('~') ||
          f.space.key.trim() === '' ||
          (typeof f.space.type === 'string' && f.space.type.trim().toLowerCase() === 'personal');
        if (personal || f.restricted !== false || f.ancestorRestricted !== false)
          expect(d.visibility).toBe('internal');
        if (f.labels.some((l) => l.toLowerCase() === 'internal-only')) expect(d.visibility).toBe('internal');
      }),
    );
  });

  it('malformed spaces are internal', () => {
    expect(decideVisibility(open({ key: '' })).visibility).toBe('internal');
    expect(decideVisibility(open(null as unknown as PageFacts['space'])).visibility).toBe('internal');
    expect(decideVisibility(open({ key: 'ENG', type: 42 as unknown as string })).visibility).toBe('internal');
  });
});

describe('recordedVisibility', () => {
  const eng = { key: 'ENG', type: 'global' };
  it('takes the decision the producer recorded', () => {
    const page = {
      ...open({ key: 'HR', type: 'global' }),
      visibility: 'internal',
      visibilityReason: 'space-override',
    };
    expect(recordedVisibility(page)).toEqual({ visibility: 'internal', reason: 'space-override' });
    const lifted = {
      ...open({ key: 'ONB', type: 'onboarding' }),
      visibility: 'public',
      visibilityReason: 'space-override',
    };
    expect(recordedVisibility(lifted)).toEqual({ visibility: 'public', reason: 'space-override' });
  });
  it('a recorded public that the site contradicts is internal all the same', () => {
    for (const over of [{ restricted: true }, { ancestorRestricted: null }] as Partial<PageFacts>[]) {
      const page = { ...open(eng, over), visibility: 'public', visibilityReason: 'default' };
      expect(recordedVisibility(page).visibility).toBe('internal');
    }
    const personal = {
      ...open({ key: '~x', type: 'personal' }),
      visibility: 'public',
      visibilityReason: 'space-override',
    };
    expect(recordedVisibility(personal)).toEqual({ visibility: 'internal', reason: 'personal-space' });
    const sys = {
      ...open({ key: 'SYS', type: 'system' }),
      visibility: 'public',
      visibilityReason: 'default',
    };
    expect(recordedVisibility(sys)).toEqual({ visibility: 'internal', reason: 'space-type' });
  });
  it('a record from before the policy (no decision, nothing known) is internal', () => {
    const old = {
      ...open(eng, { restricted: null, ancestorRestricted: null }),
      visibility: null,
      visibilityReason: null,
    };
    expect(recordedVisibility(old)).toEqual({ visibility: 'internal', reason: 'restrictions-unreadable' });
  });
});
