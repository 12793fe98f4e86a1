import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { answerJson, PageBody } from '../../sim/answer.ts';
import { DEFAULT_USERS, generateBodies, generateSite } from '../../sim/index.ts';
import { SimState } from '../../sim/state.ts';

const FULL = DEFAULT_USERS[0]!;

/** What the server sent before answers were written by answer.ts: JSON.stringify, then UTF-8. */
const plain = (body: unknown) => Buffer.from(JSON.stringify(body));

/** A listing of pages carrying these bodies (texts or generators), in the v2 shape. */
const listing = (bodies: ConstructorParameters<typeof PageBody>[0][]) => ({
  results: bodies.map((text, i) => ({
    id: String(i + 1),
    title: `Page ${i + 1}`,
    body: { storage: { representation: 'storage', value: new PageBody(text) } },
    _links: { webui: `/spaces/X/pages/${i + 1}` },
  })),
  _links: { base: 'https://sim.atlassian.net/wiki' },
});

// Strings weighted towards what JSON escapes: control characters, quotes, backslashes, lone surrogates.
const tricky = fc.string({
  unit: fc.oneof(
    fc.constantFrom('"', '\\', '\n', '\t', '\r', '\b', '\f', '\u0000', '\u001f', '\u007f', '\u2028'),
    fc.constantFrom('\ud800', '\udfff', '😀', 'é', '日'),
    fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 300,
});

describe('an answer written by answer.ts', () => {
  it('is byte for byte what JSON.stringify and UTF-8 give, for any bodies', () => {
    fc.assert(
      fc.property(fc.array(tricky, { maxLength: 6 }), fc.string(), (bodies, title) => {
        const body = { ...listing(bodies), title };
        expect(answerJson(body).json.equals(plain(body))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is the same for the generated bodies, the hostile and the catalogue ones included', () => {
    const bodies = [...generateBodies(300, { seed: 7, spaces: 4 })].map((b) => b.body);
    expect(bodies.some((b) => b.includes('\n') && b.includes('"'))).toBe(true);
    const body = listing(bodies);
    expect(answerJson(body).json.equals(plain(body))).toBe(true);
    // A giant answer grows the buffer it is written in, and what follows still fits.
    const giant = listing(['"é\n'.repeat(3_000_000), 'after']);
    expect(answerJson(giant).json.equals(plain(giant))).toBe(true);
  });

  it('writes a generated body from its pieces as the JSON of its text', () => {
    const state = new SimState(generateSite({ seed: 3, spaces: 3, pages: 400 }), []);
    const pages = state.filterPages(FULL, { statuses: ['current'] });
    // Titles are written as they come (escaped, a lone surrogate too); links carry other pages' titles.
    for (const p of pages.slice(0, 40)) state.editPage(p.id, { title: `${p.title} "q" \\ \n \ud800 é` });
    const texts = pages.map((p) => state.body(p));
    const { json, content } = answerJson(listing(pages.map((p) => state.bodySource(p))));
    expect(json.toString()).toBe(plain(listing(texts)).toString());
    expect(content.bodyBytes).toBe(texts.reduce((n, t) => n + Buffer.byteLength(t), 0));
  });

  it('counts the results, the bodies and their UTF-8 bytes as it writes them', () => {
    const bodies = ['a"b', 'é日😀', '', '\ud800x'];
    expect(answerJson(listing(bodies)).content).toEqual({
      results: 4,
      bodies: 4,
      bodyBytes: bodies.reduce((n, b) => n + Buffer.byteLength(b), 0),
    });
    const single = { id: '1', body: { atlas_doc_format: { value: new PageBody('{"x":1}') } } };
    expect(answerJson(single).content).toEqual({ results: 1, bodies: 1, bodyBytes: 7 });
    expect(answerJson({ results: [{ id: '1', body: {} }] }).content).toEqual({
      results: 1,
      bodies: 0,
      bodyBytes: 0,
    });
  });

  it('leaves a body a plain string wherever else the answer is stringified', () => {
    expect(JSON.stringify({ value: new PageBody('a"b') })).toBe('{"value":"a\\"b"}');
  });
});
