// Search on the real Elasticsearch: internal pages match every query BEST, and a customer still never
// gets one — not on top, not to fill `size`, not when they are the only matches. Same through HTTP.
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { servicesConfig } from '../../lib/config.ts';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import { registerSearch } from '../../search/cli.ts';
import { search, SearchError, type SearchResponse } from '../../search/query.ts';
import { searchOpenApi } from '../../search/openapi.ts';
import { searchServerConfig, startSearchServer, type SearchServer } from '../../search/server.ts';
import { aliasName } from '../../indexer/index-names.ts';
import { pageMappings, type PageDocument } from '../../indexer/template.ts';
import { isolatedEnv } from '../stack/services.ts';
import { page } from '../indexer/fixtures.ts';

const env = isolatedEnv('search');
const cfg = servicesConfig(env);
const es = createElasticsearch(cfg);
const source = 'acme-atlassian-net';
const alias = aliasName(cfg.indexPrefix, source);
const runIndex = `${alias}-01jsearchtest`;
const log = createLogger('search-test');

const doc = (id: string, visibility: 'internal' | 'public', title: string, text: string): PageDocument => ({
  ...page(id, {
    title,
    text,
    html: `<p>${text}</p>`,
    visibility,
    ...(visibility === 'internal' ? { spaceKey: '~jane', spaceName: 'Jane', spaceType: 'personal' } : {}),
  }),
  runId: '01JSEARCHTEST',
  sourceId: source,
});

// Internal pages are stuffed with the query words (title and text); public ones mention them once.
const internal = [
  doc(
    'i1',
    'internal',
    'Reset password reset password',
    'Reset password: reset the password. Password reset steps.',
  ),
  doc('i2', 'internal', 'Password reset for admins', 'Reset password, reset password, reset password again.'),
  doc('i3', 'internal', 'Reset password escalations', 'Password reset escalations: reset password by hand.'),
  doc('i4', 'internal', 'Salary bands 2026', 'Salary bands per level. Salary bands are confidential.'),
  doc('i5', 'internal', 'Incident runbook', 'Incident runbook: page the on-call, open the incident channel.'),
];
const publicPages = [
  doc(
    'p1',
    'public',
    'Account settings',
    'Change your email and notification settings. If you forgot it, you can reset your password from the sign-in page. ' +
      'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.',
  ),
  doc(
    'p2',
    'public',
    'Sign-in help',
    'Trouble signing in? <script>alert(1)</script> A password reset link expires after one hour.',
  ),
  doc(
    'p3',
    'public',
    'Password policy',
    'Passwords need twelve characters. Nothing else here is about the query.',
  ),
  doc('p4', 'public', 'Release notes', 'What changed this month: faster search and a new editor.'),
];
const internalIds = new Set(internal.map((d) => d.pageId));
const publicIds = new Set(publicPages.map((d) => d.pageId));
const ids = (r: SearchResponse) => r.results.map((h) => h.pageId);

// Two keys for the source (one per audience), one for another source, one with a tiny rate limit.
const agentKey = `agent-${randomBytes(24).toString('base64url')}`;
const customerKey = `customer-${randomBytes(24).toString('base64url')}`;
const otherSourceKey = `other-${randomBytes(24).toString('base64url')}`;
const slowKey = `slow-${randomBytes(24).toString('base64url')}`;
const keysFile = join(mkdtempSync(join(tmpdir(), 'cks-search-keys-')), 'keys.json');
writeFileSync(
  keysFile,
  JSON.stringify({
    keys: [
      { name: 'agent-bot', key: agentKey, audience: 'agent', sources: [source] },
      { name: 'customer-bot', key: customerKey, audience: 'customer', sources: [source, 'globex'] },
      { name: 'globex-bot', key: otherSourceKey, audience: 'agent', sources: ['globex'] },
      { name: 'slow-bot', key: slowKey, audience: 'customer', sources: [source], requestsPerMinute: 3 },
    ],
  }),
);

let server: SearchServer;
const get = async (query: Record<string, string>, key: string | null = agentKey) => {
  const res = await fetch(`http://127.0.0.1:${server.port}/search?${new URLSearchParams(query)}`, {
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as SearchResponse & { error?: string; hint?: string },
  };
};

beforeAll(async () => {
  await es.indices.create({ index: runIndex, mappings: pageMappings('standard') });
  await es.bulk({
    refresh: true,
    operations: [...internal, ...publicPages].flatMap((d) => [
      { index: { _index: runIndex, _id: d.pageId } },
      d,
    ]),
  });
  await es.indices.updateAliases({ actions: [{ add: { index: runIndex, alias } }] });
  server = await startSearchServer(
    searchServerConfig({ host: '127.0.0.1', port: '0' }, { ...env, SEARCH_API_KEYS_FILE: keysFile }),
    env,
    log,
  );
});

afterAll(async () => {
  await server?.close();
  await es.indices.delete({ index: `${cfg.indexPrefix}-*` }, { ignore: [404] });
  await es.close();
});

const queries = [
  'reset password',
  'password reset for admins',
  'salary bands',
  'incident runbook',
  'reset password salary bands incident runbook escalations',
  'password',
];

describe('search (real Elasticsearch)', () => {
  it('the internal pages are the best matches: agent gets them first', async () => {
    const r = await search(es, cfg.indexPrefix, { source, q: 'reset password', audience: 'agent' });
    expect(ids(r).slice(0, 3).sort()).toEqual(['i1', 'i2', 'i3']);
    expect(r.results.slice(0, 3).every((h) => h.visibility === 'internal')).toBe(true);
    // Public pages that match come after them, in the same answer.
    expect(ids(r).slice(3).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(r.results[0]!.score).toBeGreaterThan(r.results[3]!.score);
  });

  it('customer never gets an internal page, over every query', async () => {
    for (const q of queries) {
      const r = await search(es, cfg.indexPrefix, { source, q, audience: 'customer', size: 50 });
      expect(r.results.filter((h) => internalIds.has(h.pageId) || h.visibility !== 'public')).toEqual([]);
      expect(ids(r).every((id) => publicIds.has(id))).toBe(true);
    }
  });

  it('customer: queries that match only internal pages come back empty', async () => {
    for (const q of ['salary bands', 'incident runbook', 'escalations confidential'])
      expect((await search(es, cfg.indexPrefix, { source, q, audience: 'customer' })).results).toEqual([]);
    // ...while the agent finds them: the emptiness is the filter, not a bad query.
    expect(ids(await search(es, cfg.indexPrefix, { source, q: 'salary bands', audience: 'agent' }))).toEqual([
      'i4',
    ]);
  });

  it('customer: size is filled with public pages although internal ones score higher (filtered in the query)', async () => {
    const r = await search(es, cfg.indexPrefix, {
      source,
      q: 'reset password',
      audience: 'customer',
      size: 2,
    });
    expect(r.results).toHaveLength(2);
    expect(ids(r).every((id) => publicIds.has(id))).toBe(true);
    const all = await search(es, cfg.indexPrefix, { source, q: 'reset password', audience: 'customer' });
    expect(ids(all).sort()).toEqual(['p1', 'p2', 'p3']);
  });

  it('snippets: a highlighted ~160-char fragment of the text, plain text, else the start of the text', async () => {
    const r = await search(es, cfg.indexPrefix, { source, q: 'reset password', audience: 'customer' });
    const byId = new Map(r.results.map((h) => [h.pageId, h]));
    expect(byId.get('p1')!.snippet).toContain('reset your password');
    expect(byId.get('p1')!.snippet).not.toContain('Lorem');
    expect(byId.get('p1')!.snippet.length).toBeLessThanOrEqual(241);
    expect(byId.get('p2')!.snippet).toContain('password reset link');
    expect(byId.get('p2')!.snippet).not.toMatch(/[<>]/);
    // Matched on the title only ("Release notes"): the snippet is the start of its text.
    const notes = await search(es, cfg.indexPrefix, { source, q: 'release notes', audience: 'customer' });
    expect(notes.results[0]).toMatchObject({
      pageId: 'p4',
      snippet: 'What changed this month: faster search and a new editor.',
    });
    expect(notes.results[0]).toMatchObject({
      title: 'Release notes',
      url: publicPages[3]!.url,
      visibility: 'public',
    });
    expect(notes.results[0]!.score).toBeGreaterThan(0);
  });

  it('unknown source, or a name that is an index but not an alias: 404 naming the alias', async () => {
    const err = await search(es, cfg.indexPrefix, {
      source: 'nobody-example-com',
      q: 'x',
      audience: 'agent',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchError);
    expect(err).toMatchObject({ status: 404 });
    expect((err as Error).message).toContain(`alias ${cfg.indexPrefix}-nobody-example-com does not exist`);
    // The run index itself is not searchable as a "source": only the alias is.
    const runAsSource = runIndex.slice(cfg.indexPrefix.length + 1);
    await expect(
      search(es, cfg.indexPrefix, { source: runAsSource, q: 'reset', audience: 'agent' }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});

describe('GET /search', () => {
  it('answers what search() answers, for both audiences', async () => {
    for (const audience of ['customer', 'agent'] as const)
      for (const q of queries) {
        const { status, body } = await get({ q, source, audience });
        expect(status).toBe(200);
        const direct = await search(es, cfg.indexPrefix, { source, q, audience });
        expect(body).toEqual(direct);
        if (audience === 'customer') expect(body.results.every((h) => h.visibility === 'public')).toBe(true);
      }
    const agent = await get({ q: 'reset password', source, audience: 'agent', size: '3' });
    expect(agent.body.results.map((h) => h.pageId).sort()).toEqual(['i1', 'i2', 'i3']);
    expect(Object.keys(agent.body.results[0]!).sort()).toEqual(
      [
        'author',
        'breadcrumbs',
        'labels',
        'pageId',
        'score',
        'section',
        'snippet',
        'spaceName',
        'title',
        'updatedAt',
        'url',
        'visibility',
        'visibilityReason',
      ].sort(),
    );
    const customer = await get({ q: 'salary bands', source, audience: 'customer' });
    expect({ status: customer.status, body: customer.body }).toEqual({
      status: 200,
      body: { source, alias, audience: 'customer', q: 'salary bands', results: [] },
    });
  });

  it('400 on a missing or unknown audience (never a default), bad size or missing q', async () => {
    const missing = await get({ q: 'reset password', source });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/audience is required: customer .* or agent/);
    expect(missing.body).not.toHaveProperty('results');
    for (const audience of ['admin', 'AGENT', 'internal', 'public']) {
      const bad = await get({ q: 'reset password', source, audience });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toContain(`unknown audience "${audience}"`);
    }
    expect((await get({ q: 'x', source, audience: 'agent', size: '51' })).status).toBe(400);
    expect((await get({ source, audience: 'agent' })).body.error).toMatch(/search text \(q\) is required/);
    expect((await get({ q: 'x', source: 'acme*', audience: 'agent' })).status).toBe(400);
  });

  it('404 on an unknown source, naming the alias', async () => {
    // globex is one of the customer key's sources, but it has no index yet.
    const { status, body } = await get({ q: 'x', source: 'globex', audience: 'customer' }, customerKey);
    expect(status).toBe(404);
    expect(body.error).toContain(`alias ${cfg.indexPrefix}-globex does not exist`);
    expect(body.hint).toContain('ops runs');
  });

  it('405 on other methods; /healthz and /metrics next to it', async () => {
    const post = await fetch(`http://127.0.0.1:${server.port}/search?q=x&source=${source}&audience=agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agentKey}` },
    });
    expect(post.status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(metrics).toMatch(
      /search_requests_total\{key="agent-bot",audience="customer",status="200",service="search"\} \d+/,
    );
    expect(metrics).toMatch(
      /search_requests_total\{key="agent-bot",audience="invalid",status="400",service="search"\} \d+/,
    );
  });

  it('503 with a message when Elasticsearch is down', async () => {
    const down = await startSearchServer(
      searchServerConfig({ host: '127.0.0.1', port: '0' }, { SEARCH_API_KEYS_FILE: keysFile }),
      { ...env, ELASTICSEARCH_URL: 'http://127.0.0.1:9' },
      log,
    );
    try {
      const res = await fetch(`http://127.0.0.1:${down.port}/search?q=x&source=${source}&audience=customer`, {
        headers: { authorization: `Bearer ${customerKey}` },
      });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: string }).error).toMatch(/^Elasticsearch is unavailable/);
    } finally {
      await down.close();
    }
  });
});

describe('GET /search: API keys', () => {
  it('a customer key never returns an internal page, even when it asks for audience=agent', async () => {
    for (const q of queries) {
      const own = await get({ q, source, audience: 'customer', size: '50' }, customerKey);
      expect(own.status).toBe(200);
      expect(own.body.audience).toBe('customer');
      expect(own.body.results.filter((h) => internalIds.has(h.pageId) || h.visibility !== 'public')).toEqual(
        [],
      );
      const asked = await get({ q, source, audience: 'agent', size: '50' }, customerKey);
      expect(asked.status).toBe(403);
      expect(asked.body).not.toHaveProperty('results');
      expect(asked.body.error).toBe(
        'key customer-bot is bound to the customer audience (public pages only): it cannot ask for agent',
      );
    }
    // The agent key gets internal pages for the same query: the customer key's answers are not empty by accident.
    const agent = await get({ q: 'salary bands', source, audience: 'agent' }, agentKey);
    expect(agent.body.results.map((h) => h.pageId)).toContain('i4');
  });

  it('401 without a key, with an unknown key or another scheme; 403 for a source the key does not cover', async () => {
    const none = await get({ q: 'reset password', source, audience: 'customer' }, null);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="search"');
    expect(none.body).toEqual({
      error: 'an API key is required',
      hint: 'Send the key you were given as the header Authorization: Bearer <API key>.',
    });
    const unknown = await get({ q: 'reset password', source, audience: 'customer' }, `${customerKey}x`);
    expect(unknown).toMatchObject({ status: 401, body: { error: 'unknown API key' } });
    const basic = await fetch(`http://127.0.0.1:${server.port}/search?q=x&source=${source}`, {
      headers: { authorization: `Basic ${Buffer.from(`x:${agentKey}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    const other = await get({ q: 'reset password', source, audience: 'agent' }, otherSourceKey);
    expect(other).toMatchObject({
      status: 403,
      body: { error: `key globex-bot may not search source ${source}`, hint: 'This key may search: globex.' },
    });
  });

  it('429 with Retry-After over the key’s rate limit; 413 for a body, 414 for an over-long request line', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await get({ q: 'reset password', source, audience: 'customer' }, slowKey);
      statuses.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Other keys are not slowed by it.
    expect((await get({ q: 'reset password', source, audience: 'customer' }, customerKey)).status).toBe(200);
    // fetch refuses a GET with a body; a client that sends one anyway gets 413.
    const withBody = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        `http://127.0.0.1:${server.port}/search?q=x&source=${source}&audience=agent`,
        { method: 'GET', headers: { authorization: `Bearer ${agentKey}`, 'content-length': '5' } },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end('hello');
    });
    expect(withBody).toBe(413);
    expect((await get({ q: 'x'.repeat(5000), source, audience: 'agent' }, agentKey)).status).toBe(414);
  });

  it('serves its OpenAPI document, whose parameters are the ones the endpoint takes', async () => {
    const doc = (await (
      await fetch(`http://127.0.0.1:${server.port}/openapi.json`)
    ).json()) as typeof searchOpenApi;
    expect(doc).toEqual(JSON.parse(JSON.stringify(searchOpenApi)));
    const params = doc.paths['/search'].get.parameters;
    expect(params.map((p) => [p.name, p.required])).toEqual([
      ['q', true],
      ['source', true],
      ['audience', true],
      ['size', false],
    ]);
    expect(Object.keys(doc.paths['/search'].get.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '429']),
    );
  });

  it('refuses to start without a keys file, or with a bad one, naming the problem', () => {
    expect(() => searchServerConfig({}, {})).toThrow(/SEARCH_API_KEYS_FILE \(not set\)/);
    const bad = join(mkdtempSync(join(tmpdir(), 'cks-search-keys-')), 'keys.json');
    writeFileSync(
      bad,
      JSON.stringify({ keys: [{ name: 'x', key: 'short', audience: 'admin', sources: [] }] }),
    );
    expect(() => searchServerConfig({}, { SEARCH_API_KEYS_FILE: bad })).toThrow(
      /keys\.0\.key: must be at least 24 characters[\s\S]*keys\.0\.audience: must be customer[\s\S]*keys\.0\.sources: must list at least one/,
    );
  });
});

describe('ops search (CLI)', () => {
  const run = async (...args: string[]) => {
    const program = new Command().exitOverride();
    registerSearch(program.command('ops'));
    const out: string[] = [];
    const err: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      await program.parseAsync(['ops', 'search', ...args], { from: 'user' });
      return { out: out.join(''), err: err.join(''), exitCode: process.exitCode ?? 0 };
    } finally {
      process.env = saved;
      process.exitCode = 0;
      stdout.mockRestore();
      stderr.mockRestore();
    }
  };

  it('prints title, visibility, url, snippet and score; --json prints the endpoint body', async () => {
    const text = await run('--source', source, '--audience', 'customer', 'reset', 'password');
    expect(text.exitCode).toBe(0);
    expect(text.out).toMatch(
      /^1\. \[public: default\] .+ \(score \d+\.\d\d\)\n {3}https:\/\/acme\.atlassian\.net\/\S+\n {3}\S/,
    );
    expect(text.out).not.toContain('[internal');
    const json = await run(
      '--source',
      source,
      '--audience',
      'agent',
      '--json',
      '--size',
      '2',
      'reset password',
    );
    expect(JSON.parse(json.out)).toEqual(
      await search(es, cfg.indexPrefix, { source, q: 'reset password', audience: 'agent', size: 2 }),
    );
  });

  it('requires --audience: a message and a non-zero exit, no results', async () => {
    const r = await run('--source', source, 'reset password');
    expect(r.exitCode).not.toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toContain('audience is required');
  });
});
