// The transformer service's per-record logic: envelope mapping, visibility, wiki base.
import { describe, expect, it } from 'vitest';
import type { FactsUpdate, RawPage, RawPageEvent, RunMarker } from '../../schemas/index.ts';
import { transformEvent, wikiBaseOf } from '../../transformer/pipeline.ts';
import { RAW_PAGE_DEFAULTS } from '../page-defaults.ts';

const NOW = 1_750_000_000_000;

function rawPage(over: Partial<RawPage> = {}): RawPage {
  return {
    id: '42',
    title: 'Release notes',
    status: 'current',
    version: 7,
    versionCreatedAt: '2026-01-02T03:04:05.000Z',
    parentId: null,
    space: { id: '1', key: 'ENG', name: 'Engineering', type: 'global', status: 'current' },
    body: '<p>See <ac:link><ri:page ri:content-title="Roadmap" /></ac:link>.</p>',
    url: 'https://acme.atlassian.net/wiki/spaces/ENG/pages/42/Release+notes',
    fetchedAt: NOW - 1000,
    ...RAW_PAGE_DEFAULTS,
    ...over,
  };
}

const event = (page: RawPage): RawPageEvent => ({
  runId: 'RUN1',
  sourceId: 'acme',
  page,
  marker: null,
  removal: null,
});

describe('wikiBaseOf', () => {
  it('is everything before /spaces/ in the page URL', () => {
    expect(wikiBaseOf('https://acme.atlassian.net/wiki/spaces/ENG/pages/42/Title')).toBe(
      'https://acme.atlassian.net/wiki',
    );
    expect(wikiBaseOf('http://127.0.0.1:8080/wiki/spaces/~5f1a/pages/9')).toBe('http://127.0.0.1:8080/wiki');
  });
  it('takes the first /spaces/ (a title may contain the word)', () => {
    expect(wikiBaseOf('https://x.atlassian.net/wiki/spaces/A/pages/1/spaces/ideas')).toBe(
      'https://x.atlassian.net/wiki',
    );
  });
  it('finds the root of Data Center page URLs, with or without a context path', () => {
    expect(wikiBaseOf('https://wiki.corp.example/confluence/display/ENG/Spaces+Title')).toBe(
      'https://wiki.corp.example/confluence',
    );
    expect(wikiBaseOf('http://127.0.0.1:8090/pages/viewpage.action?pageId=42')).toBe('http://127.0.0.1:8090');
  });
  it('is null when the URL names no space', () => {
    expect(wikiBaseOf('https://acme.atlassian.net/wiki/x/AbCd')).toBeNull();
  });
});

describe('transformEvent', () => {
  it('maps a page to an HTML page with every field, links resolved against the wiki base', () => {
    const out = transformEvent(event(rawPage()), NOW);
    expect(out?.kind).toBe('page');
    const page = out!.event.page!;
    expect(out!.event).toMatchObject({ runId: 'RUN1', sourceId: 'acme', failure: null, marker: null });
    expect(page).toMatchObject({
      pageId: '42',
      title: 'Release notes',
      url: 'https://acme.atlassian.net/wiki/spaces/ENG/pages/42/Release+notes',
      spaceKey: 'ENG',
      spaceName: 'Engineering',
      spaceType: 'global',
      visibility: 'public',
      version: 7,
      updatedAt: '2026-01-02T03:04:05.000Z',
    });
    expect(page.html).toContain('href="https://acme.atlassian.net/wiki/display/ENG/Roadmap"');
    expect(page.text).toContain('See Roadmap.');
  });

  it('makes personal-space pages internal, by type or by a ~ key whatever the type says', () => {
    const personal = { id: '2', key: '~5f1a', name: 'Ann', type: 'global', status: 'current' };
    expect(transformEvent(event(rawPage({ space: personal })), NOW)!.event.page!.visibility).toBe('internal');
    const byType = { ...personal, key: 'ANN', type: 'personal' };
    expect(transformEvent(event(rawPage({ space: byType })), NOW)!.event.page!.visibility).toBe('internal');
  });

  it('passes a marker on unchanged', () => {
    const marker: RunMarker = {
      kind: 'END',
      partition: 2,
      partitions: 3,
      pagesInPartition: 10,
      pagesTotal: 31,
      reason: null,
      at: NOW,
      replayOf: null,
      refresh: null,
    };
    expect(
      transformEvent({ runId: 'RUN1', sourceId: 'acme', page: null, marker, removal: null }, NOW),
    ).toEqual({
      kind: 'marker',
      marker,
      event: { runId: 'RUN1', sourceId: 'acme', page: null, failure: null, marker, removal: null },
    });
  });

  it('passes a removal on unchanged', () => {
    const removal = { pageId: '7', reason: 'gone' };
    expect(
      transformEvent({ runId: 'RUN1', sourceId: 'acme', page: null, marker: null, removal }, NOW),
    ).toEqual({
      kind: 'removal',
      event: { runId: 'RUN1', sourceId: 'acme', page: null, failure: null, marker: null, removal },
    });
  });

  it('passes a facts update on as the document fields it changes, converting nothing', () => {
    const facts: FactsUpdate = {
      id: '42',
      version: 7,
      space: { id: '1', key: 'ENG', name: 'Engineering (renamed)', type: 'global', status: 'current' },
      restricted: false,
      ancestorRestricted: true,
      ancestors: [
        { id: '1', title: 'Root' },
        { id: '9', title: 'Parent' },
      ],
      labels: ['howto'],
      visibility: 'internal',
      visibilityReason: 'restricted-ancestor',
      fingerprint: 'f2',
      fetchedAt: NOW,
    };
    const raw = { runId: 'RUN1', sourceId: 'acme', page: null, marker: null, removal: null, facts };
    expect(transformEvent(raw, NOW, () => expect.fail('nothing to convert'))).toEqual({
      kind: 'facts',
      event: {
        runId: 'RUN1',
        sourceId: 'acme',
        page: null,
        failure: null,
        marker: null,
        removal: null,
        facts: {
          pageId: '42',
          version: 7,
          spaceName: 'Engineering (renamed)',
          spaceType: 'global',
          visibility: 'internal',
          visibilityReason: 'restricted-ancestor',
          breadcrumbs: ['Root', 'Parent'],
          labels: ['howto'],
          fingerprint: 'f2',
        },
      },
    });
    // A facts update claiming public for what the rules make internal is internal all the same.
    const claimed = { ...facts, visibility: 'public' as const, visibilityReason: 'default' as const };
    const out = transformEvent({ ...raw, facts: claimed }, NOW);
    expect(out.event.facts).toMatchObject({
      visibility: 'internal',
      visibilityReason: 'restricted-ancestor',
    });
  });

  it("accounts for a page the converter rejects: failure in the page's place plus the whole raw page as a dead letter", () => {
    const page = rawPage({ url: 'acme.atlassian.net/wiki/spaces/ENG/pages/42' }); // no scheme: no base URL
    const out = transformEvent(event(page), NOW);
    expect(out?.kind).toBe('failure');
    if (out?.kind !== 'failure') return;
    expect(out.code).toBe('invalid-context');
    expect(out.event).toEqual({
      runId: 'RUN1',
      sourceId: 'acme',
      page: null,
      marker: null,
      removal: null,
      failure: {
        pageId: '42',
        reason: expect.stringMatching(/^invalid-context: base URL must be an absolute/),
      },
    });
    expect(out.deadLetter).toEqual({
      runId: 'RUN1',
      sourceId: 'acme',
      reason: out.event.failure!.reason,
      page,
      failedAt: NOW,
    });
  });

  it('fails a page whose URL names no space rather than guessing its wiki base', () => {
    const out = transformEvent(event(rawPage({ url: 'https://acme.atlassian.net/wiki/x/AbCd' })), NOW);
    expect(out?.event.failure?.reason).toMatch(/^invalid-context: page URL .* has no \/spaces\//);
  });

  it('turns an unexpected converter exception into a failure instead of throwing', () => {
    const broken = () => {
      throw new TypeError('cannot read properties of undefined');
    };
    const out = transformEvent(event(rawPage()), NOW, broken);
    expect(out?.kind).toBe('failure');
    expect(out?.event.failure).toEqual({
      pageId: '42',
      reason: 'internal-error: cannot read properties of undefined',
    });
  });
});
