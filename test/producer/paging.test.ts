import { describe, expect, it } from 'vitest';
import { nextLink, parseLinkHeader, resolveNext } from '../../producer/paging.ts';

describe('paging', () => {
  it('reads next and base from a Link header', () => {
    const header =
      '</wiki/api/v2/spaces?cursor=abc&limit=250>; rel="next", <https://acme.atlassian.net/wiki>; rel="base"';
    expect(parseLinkHeader(header)).toEqual({
      next: '/wiki/api/v2/spaces?cursor=abc&limit=250',
      base: 'https://acme.atlassian.net/wiki',
    });
    expect(parseLinkHeader(undefined)).toEqual({});
    expect(parseLinkHeader('<a>; rel=next')).toEqual({ next: 'a' });
  });

  it('prefers the body _links.next, falls back to the Link header, and ends when neither has one', () => {
    expect(nextLink({ _links: { next: '/wiki/body' } }, '</wiki/header>; rel="next"')).toBe('/wiki/body');
    expect(nextLink({ _links: {} }, '</wiki/header>; rel="next"')).toBe('/wiki/header');
    expect(nextLink({ results: [], _links: { base: 'x' } }, '<https://x/wiki>; rel="base"')).toBeUndefined();
    expect(nextLink(null, undefined)).toBeUndefined();
  });

  it('resolves next links against the site root, keeping a proxy path prefix and the cursor exactly', () => {
    const next = '/wiki/api/v2/spaces/1/pages?cursor=eyJ9%3D&limit=250&body-format=storage';
    expect(resolveNext('https://acme.atlassian.net', next)).toBe(`https://acme.atlassian.net${next}`);
    expect(resolveNext('http://proxy:8080/confluence/', next)).toBe(`http://proxy:8080/confluence${next}`);
    expect(resolveNext('https://acme.atlassian.net', 'https://acme.atlassian.net/wiki/x?c=1')).toBe(
      'https://acme.atlassian.net/wiki/x?c=1',
    );
  });

  it('never follows a next link to another site (the credentials would go with it)', () => {
    expect(() => resolveNext('https://acme.atlassian.net', 'https://evil.example/wiki/x')).toThrow(
      /another site/,
    );
  });
});
