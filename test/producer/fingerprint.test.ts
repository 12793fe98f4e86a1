import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fingerprintOf, type FingerprintFacts } from '../../producer/fingerprint.ts';
import { pageFacts } from '../../producer/enrich.ts';
import { DEFAULT_POLICY } from '../../schemas/index.ts';
import type { PageFactsOf } from '../../producer/page-facts.ts';

const page: FingerprintFacts = {
  version: 3,
  space: { id: '1', key: 'ENG', name: 'Engineering', type: 'global' },
  restricted: false,
  ancestorRestricted: false,
  ancestors: [{ id: '10', title: 'Home' }],
  labels: ['howto', 'api'],
  visibility: 'public',
  visibilityReason: 'default',
};
const ctx = { converter: '1', policy: DEFAULT_POLICY };
const fp = (over: Partial<FingerprintFacts> = {}, c = ctx) => fingerprintOf({ ...page, ...over }, c);

describe('page fingerprint', () => {
  it('is stable, and label order does not matter', () => {
    expect(fp()).toBe(fp());
    expect(fp({ labels: ['api', 'howto'] })).toBe(fp());
  });

  it('changes with everything a document depends on besides the body', () => {
    const changed = [
      fp({ version: 4 }),
      fp({ space: { ...page.space, name: 'Eng' } }),
      fp({ space: { ...page.space, key: 'ENG2' } }),
      fp({ space: { ...page.space, id: '2' } }),
      fp({ space: { ...page.space, type: 'personal' } }),
      fp({ restricted: true }),
      fp({ restricted: null }),
      fp({ ancestorRestricted: true }),
      fp({ ancestors: [{ id: '10', title: 'Start' }] }),
      fp({ ancestors: [{ id: '11', title: 'Home' }] }),
      fp({ ancestors: [] }),
      fp({ labels: ['howto'] }),
      fp({ visibility: 'internal', visibilityReason: 'label' }),
      fp({}, { ...ctx, converter: '2' }),
      fp({}, { ...ctx, policy: { ...DEFAULT_POLICY, internalLabels: ['hr'] } }),
      fp({}, { ...ctx, policy: { ...DEFAULT_POLICY, spaceAudience: { ENG: 'internal' } } }),
    ];
    expect(new Set([fp(), ...changed]).size).toBe(changed.length + 1);
  });

  it('is the digest live documents already carry (the policy made canonical once per run changes no digest)', () => {
    // The formula fingerprints were first computed with: a change would send every page as a facts update.
    const policy = {
      internalLabels: ['HR', 'draft'],
      spaceAudience: { ZED: 'public', ENG: 'internal' },
    } as const;
    const parts = [
      3,
      ['1', 'ENG', 'Engineering', 'global'],
      false,
      false,
      [['10', 'Home']],
      ['api', 'howto'],
      'public',
      'default',
      '1',
      {
        internalLabels: ['draft', 'hr'],
        spaceAudience: [
          ['ENG', 'internal'],
          ['ZED', 'public'],
        ],
      },
    ];
    const digest = createHash('sha256').update(JSON.stringify(parts)).digest('base64url');
    expect(fp({}, { ...ctx, policy })).toBe(digest);
    expect(fp({}, { ...ctx, policy })).toBe(digest);
  });

  it('is the same before the body is fetched and on the page sent (one function decides both)', () => {
    const facts: PageFactsOf = { restricted: false, ancestorRestricted: false, ancestors: [], labels: [] };
    const of = () => facts;
    const space = { ...page.space, status: 'current' };
    const listed = pageFacts({ id: '5', version: 2, space }, { of }, ctx);
    expect(listed).toMatchObject({ visibility: 'public', visibilityReason: 'default' });
    const restricted = pageFacts(
      { id: '5', version: 2, space },
      { of: () => ({ ...facts, restricted: true }) },
      ctx,
    );
    expect(restricted).toMatchObject({ visibility: 'internal', visibilityReason: 'restricted' });
    expect(restricted.fingerprint).not.toBe(listed.fingerprint);
  });
});
