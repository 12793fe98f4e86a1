// The identity rules and the scope names, without a server.
import { describe, expect, it } from 'vitest';
import { ExitCode, UserError } from '../../lib/errors.ts';
import { scopeFor } from '../../producer/deployment.ts';
import { describeAccount, verifyAccount } from '../../producer/identity.ts';

const cloud = { deployment: 'cloud' as const, siteUrl: 'https://acme.atlassian.net', email: 'Jane@Acme.com' };
const refused = (f: () => unknown): UserError => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).exitCode).toBe(ExitCode.auth);
    return err as UserError;
  }
  throw new Error('expected a refusal');
};

describe('verifyAccount', () => {
  it('accepts the configured account (email compared without case), and one whose email Cloud hides', () => {
    expect(verifyAccount({ type: 'known', accountId: '5b10', email: 'jane@acme.com' }, cloud).accountId).toBe(
      '5b10',
    );
    expect(verifyAccount({ type: 'known', accountId: '5b10', email: '' }, cloud).accountId).toBe('5b10');
  });

  it('refuses the anonymous user, and an answer that names no account at all', () => {
    expect(
      refused(() => verifyAccount({ type: 'anonymous', displayName: 'Anonymous' }, cloud)).message,
    ).toMatch(/anonymous user/);
    expect(refused(() => verifyAccount({}, cloud)).message).toMatch(/anonymous user/);
  });

  it('refuses another account, naming both', () => {
    const err = refused(() =>
      verifyAccount({ type: 'known', accountId: '9', email: 'bot@acme.com', displayName: 'Bot' }, cloud),
    );
    expect(err.message).toBe(
      'https://acme.atlassian.net signed the token in as Bot <bot@acme.com>, not Jane@Acme.com',
    );
    expect(err.hint).toContain('CONFLUENCE_EMAIL');
  });

  it('on Data Center compares the username only when one is given', () => {
    const dc = { deployment: 'data-center' as const, siteUrl: 'https://wiki.corp/confluence', email: '' };
    expect(verifyAccount({ type: 'known', username: 'jdoe' }, dc).username).toBe('jdoe');
    expect(
      refused(() => verifyAccount({ type: 'known', username: 'jdoe' }, { ...dc, email: 'alice' })).hint,
    ).toContain('CONFLUENCE_USERNAME');
  });

  it('describes an account as a person recognises it', () => {
    expect(describeAccount({ displayName: 'Jane Doe', email: 'jane@acme.com' })).toBe(
      'Jane Doe <jane@acme.com>',
    );
    expect(describeAccount({ accountId: '5b10' })).toBe('5b10');
  });
});

describe('scopeFor', () => {
  it('names the scope of each request a pull makes, through any root', () => {
    expect(scopeFor('/ex/confluence/abc/wiki/api/v2/spaces?limit=250')?.scope).toBe('read:space:confluence');
    expect(scopeFor('/ex/confluence/abc/wiki/api/v2/spaces/42/pages?cursor=x')?.scope).toBe(
      'read:page:confluence',
    );
    expect(scopeFor('/ex/confluence/abc/wiki/api/v2/pages/7')?.scope).toBe('read:page:confluence');
    expect(scopeFor('/ex/confluence/abc/wiki/rest/api/user/current')?.scope).toBe('read:confluence-user');
    expect(scopeFor('/wiki/rest/api/content/7/restriction')).toBeUndefined();
  });
});
