// The search query as sent to Elasticsearch: what each audience may see is in the query's bool filter.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authorize, rateLimiter, type ApiKey } from '../../search/keys.ts';
import {
  buildSearchBody,
  cleanSnippet,
  parseAudience,
  parseQuery,
  parseSize,
  parseSource,
  SearchError,
  toResult,
  type Audience,
} from '../../search/query.ts';
import { searchServerConfig } from '../../search/server.ts';
import { ConfigError } from '../../lib/errors.ts';

const boolOf = (audience: Audience) => buildSearchBody({ q: 'reset password', audience }).query!.bool!;

const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SearchError);
    return (err as SearchError).status;
  }
  throw new Error('expected a SearchError');
};

describe('search query', () => {
  it('customer: the bool filter clause holds term visibility=public', () => {
    const bool = boolOf('customer');
    expect(bool.filter).toEqual([{ term: { visibility: 'public' } }]);
    // Nowhere else: a should/must_not/post_filter would not restrict what is returned.
    expect(bool.should).toBeUndefined();
    expect(bool.must_not).toBeUndefined();
    expect(buildSearchBody({ q: 'x', audience: 'customer' }).post_filter).toBeUndefined();
  });

  it('agent: no visibility filter (internal and public)', () => {
    const bool = boolOf('agent');
    expect(bool.filter).toEqual([]);
    expect(JSON.stringify(buildSearchBody({ q: 'x', audience: 'agent' }).query)).not.toContain('visibility');
  });

  it('both audiences run the same match over title (boosted), breadcrumbs, text, and the sections', () => {
    for (const audience of ['customer', 'agent'] as const) {
      const [must] = boolOf(audience).must as { bool: { should: unknown[]; minimum_should_match: number } }[];
      expect(must!.bool.minimum_should_match).toBe(1);
      expect(must!.bool.should).toEqual([
        {
          multi_match: {
            query: 'reset password',
            fields: ['title^3', 'breadcrumbs', 'text'],
            type: 'best_fields',
          },
        },
        {
          nested: {
            path: 'sections',
            score_mode: 'max',
            query: { match: { 'sections.text': 'reset password' } },
            inner_hits: { size: 1, _source: ['sections.anchor', 'sections.path'] },
          },
        },
      ]);
    }
  });

  it('unknown audience throws instead of building a query', () => {
    expect(() => buildSearchBody({ q: 'x', audience: 'everyone' as Audience })).toThrow(/unknown audience/);
    expect(() => buildSearchBody({ q: 'x', audience: undefined as unknown as Audience })).toThrow(
      /unknown audience/,
    );
  });

  it('size defaults to 10; highlight asks for one ~160-char fragment of text, start of text when none matches', () => {
    const body = buildSearchBody({ q: 'x', audience: 'agent' });
    expect(body.size).toBe(10);
    expect(buildSearchBody({ q: 'x', audience: 'agent', size: 50 }).size).toBe(50);
    expect(body.highlight!.fields).toEqual({
      text: { type: 'unified', fragment_size: 160, number_of_fragments: 1, no_match_size: 160 },
    });
    expect(body._source).not.toContain('html');
    expect(body._source).not.toContain('text');
  });
});

describe('search parameters', () => {
  it('audience is required and must be customer or agent: never defaulted', () => {
    expect(parseAudience('customer')).toBe('customer');
    expect(parseAudience('agent')).toBe('agent');
    for (const bad of [undefined, null, '', 'Agent', 'public', 'internal', 'admin'])
      expect(status(() => parseAudience(bad))).toBe(400);
    expect(() => parseAudience(undefined)).toThrow(/audience is required/);
    expect(() => parseAudience('admin')).toThrow(/unknown audience "admin": must be customer/);
  });

  it('size: default 10, 1..50, whole numbers only', () => {
    expect(parseSize(undefined)).toBe(10);
    expect(parseSize('')).toBe(10);
    expect(parseSize('1')).toBe(1);
    expect(parseSize('50')).toBe(50);
    for (const bad of ['0', '51', '2.5', 'ten', '-1']) expect(status(() => parseSize(bad))).toBe(400);
  });

  it('q: required, trimmed, bounded', () => {
    expect(parseQuery('  reset  ')).toBe('reset');
    for (const bad of [undefined, '', '   ', 'x'.repeat(1001)])
      expect(status(() => parseQuery(bad))).toBe(400);
  });

  it('source: a source id only, so no wildcard or list can widen the search to other indices', () => {
    expect(parseSource('acme-atlassian-net')).toBe('acme-atlassian-net');
    for (const bad of [undefined, '', '*', 'acme*', 'a,b', 'Acme', '-acme', 'a b', '_all', '../x'])
      expect(status(() => parseSource(bad))).toBe(400);
  });
});

describe('search results', () => {
  it('snippets are plain text: markup quoted in page text is stripped, including a tag cut at the end', () => {
    expect(cleanSnippet('Use <script>alert(1)</script> to\n\n break <b>things</b>')).toBe(
      'Use alert(1) to break things',
    );
    expect(cleanSnippet('ends with <img src=x onerror=alert(1)')).toBe('ends with');
    expect(cleanSnippet('a < b and c > d')).toBe('a b and c d');
    expect(cleanSnippet('')).toBe('');
    expect(cleanSnippet('<!-- c --> x')).toBe('x');
  });

  it('snippets are bounded, cut at a word', () => {
    const long = cleanSnippet('word '.repeat(200));
    expect(long.length).toBeLessThanOrEqual(241);
    expect(long.endsWith('word…')).toBe(true);
  });

  it('maps a hit: title, url, visibility, _score, highlighted snippet', () => {
    expect(
      toResult({
        _index: 'i',
        _id: '7',
        _score: 3.5,
        _source: {
          pageId: '7',
          title: 'T',
          url: 'https://x/7',
          visibility: 'public',
          visibilityReason: 'default',
          spaceName: 'Eng',
          breadcrumbs: ['Home'],
          labels: [],
          author: 'Ana Kim',
          updatedAt: '2026-01-02T03:04:05.000Z',
        },
        highlight: { text: ['Reset <em>your</em> password'] },
        inner_hits: {
          sections: {
            hits: { hits: [{ _index: 'i', _id: '7', _source: { anchor: 'T-Reset', path: ['Reset'] } }] },
          },
        },
      }),
    ).toEqual({
      pageId: '7',
      title: 'T',
      url: 'https://x/7',
      visibility: 'public',
      visibilityReason: 'default',
      spaceName: 'Eng',
      breadcrumbs: ['Home'],
      labels: [],
      author: 'Ana Kim',
      updatedAt: '2026-01-02T03:04:05.000Z',
      section: { path: ['Reset'], url: 'https://x/7#T-Reset' },
      score: 3.5,
      snippet: 'Reset your password',
    });
  });
});

describe('search server config', () => {
  const keysFile = join(mkdtempSync(join(tmpdir(), 'cks-keys-')), 'keys.json');
  writeFileSync(
    keysFile,
    JSON.stringify({ keys: [{ name: 'bot', key: 'k'.repeat(32), audience: 'customer', sources: ['acme'] }] }),
  );
  const keys = { SEARCH_API_KEYS_FILE: keysFile };

  it('port from flag, else SEARCH_PORT, else 8080; host 127.0.0.1 unless told', () => {
    expect(searchServerConfig({}, keys)).toMatchObject({ host: '127.0.0.1', port: 8080 });
    expect(searchServerConfig({}, { ...keys, SEARCH_PORT: '9000', SEARCH_HOST: '0.0.0.0' })).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
    });
    expect(searchServerConfig({ port: '0' }, { ...keys, SEARCH_PORT: '9000' }).port).toBe(0);
    expect(() => searchServerConfig({ port: 'http' }, keys)).toThrow(ConfigError);
    expect(() => searchServerConfig({}, { ...keys, SEARCH_PORT: '70000' })).toThrow(/SEARCH_PORT="70000"/);
  });

  it('keys: each bound to an audience and sources, with the default rate limit unless its own', () => {
    const [key] = searchServerConfig({}, { ...keys, SEARCH_RATE_LIMIT_PER_MINUTE: '30' }).keys;
    expect(key).toMatchObject({
      name: 'bot',
      audience: 'customer',
      sources: new Set(['acme']),
      requestsPerMinute: 30,
    });
    expect(JSON.stringify(key)).not.toContain('k'.repeat(32));
  });
});

describe('API keys', () => {
  const key: ApiKey = {
    name: 'bot',
    audience: 'customer',
    sources: new Set(['acme']),
    requestsPerMinute: 2,
    digest: Buffer.alloc(32),
  };

  it('a customer key cannot ask for agent, nor for a source it does not list; an agent key may ask for customer', () => {
    expect(authorize(key, 'acme', 'customer')).toBeUndefined();
    expect(authorize(key, 'acme', 'agent')).toMatchObject({ status: 403 });
    expect(authorize(key, 'globex', 'customer')).toMatchObject({ status: 403 });
    expect(authorize({ ...key, audience: 'agent' }, 'acme', 'customer')).toBeUndefined();
  });

  it('rate limit: a burst of requestsPerMinute, then one every 60/requestsPerMinute seconds', () => {
    let now = 0;
    const limit = rateLimiter(() => now);
    expect([limit(key), limit(key), limit(key)]).toEqual([0, 0, 30]);
    now = 29_000;
    expect(limit(key)).toBe(1);
    now = 30_000;
    expect(limit(key)).toBe(0);
  });
});
