// The listing splitter: whatever the chunking, the elements are exactly `results` and the rest of the
// document is kept; an incomplete body is refused (so a truncated listing is retried, never half-used).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createListingSplitter, elementText } from '../../producer/listing-split.ts';

function split(bytes: Buffer, cuts: number[]) {
  const splitter = createListingSplitter();
  const elements: unknown[] = [];
  let from = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    for (const parts of splitter.push(bytes.subarray(from, cut)))
      elements.push(JSON.parse(elementText(parts)));
    from = cut;
  }
  return { elements, rest: () => splitter.end() };
}

const listing = fc.record({
  before: fc.dictionary(
    fc.string().filter((k) => k !== 'results'),
    fc.jsonValue(),
    { maxKeys: 3 },
  ),
  results: fc.array(fc.jsonValue(), { maxLength: 12 }),
  after: fc.dictionary(
    fc.string().filter((k) => k !== 'results'),
    fc.jsonValue(),
    { maxKeys: 3 },
  ),
});

describe('listing splitter', () => {
  it('yields every element and the document without them, whatever the chunking and spacing', () => {
    fc.assert(
      fc.property(listing, fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), (doc, cuts, pretty) => {
        const document = { ...doc.before, results: doc.results, ...doc.after };
        const bytes = Buffer.from(JSON.stringify(document, null, pretty ? 2 : undefined));
        const { elements, rest } = split(bytes, cuts);
        expect(elements).toEqual(JSON.parse(JSON.stringify(doc.results)));
        expect(rest()).toEqual(JSON.parse(JSON.stringify({ ...document, results: [] })));
      }),
      { numRuns: 500 },
    );
  });

  it('finds every string end among runs of backslashes and escaped quotes, wherever a chunk ends', () => {
    const tricky = fc.string({ unit: fc.constantFrom('\\', '"', 'a', 'é', '\n', '[', '}') });
    fc.assert(
      fc.property(
        fc.array(fc.record({ body: fc.record({ storage: fc.record({ value: tricky }) }), t: tricky }), {
          maxLength: 6,
        }),
        tricky,
        fc.array(fc.nat(), { maxLength: 30 }),
        (results, after, cuts) => {
          const document = { [after]: after, results, _links: { next: after } };
          const bytes = Buffer.from(JSON.stringify(document));
          const { elements, rest } = split(bytes, cuts);
          expect(elements).toEqual(results);
          expect(rest()).toEqual({ ...document, results: [] });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('splits a Confluence page listing: escapes, multi-byte characters, nested arrays, _links', () => {
    const page = (id: number) => ({
      id: String(id),
      title: `Prüfung "${id}" \\ עברית 😀`,
      body: { storage: { value: `<p class="a">[{x}],</p>`.repeat(id) } },
      labels: [[], [1, [2]], { a: ']' }],
    });
    const document = {
      results: [page(1), page(2), page(3)],
      _links: { next: '/wiki/api/v2/x?cursor=a', base: 'b' },
    };
    const bytes = Buffer.from(JSON.stringify(document));
    for (const size of [1, 2, 3, 7, 64, bytes.length]) {
      const cuts = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size);
      const { elements, rest } = split(bytes, cuts);
      expect(elements).toEqual(document.results);
      expect(rest()).toEqual({ results: [], _links: document._links });
    }
  });

  it('refuses a body cut short anywhere', () => {
    fc.assert(
      fc.property(listing, fc.nat(), (doc, at) => {
        const bytes = Buffer.from(JSON.stringify({ ...doc.before, results: doc.results, ...doc.after }));
        const { rest } = split(bytes.subarray(0, at % bytes.length), []);
        expect(rest).toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what is not a JSON document', () => {
    expect(() => split(Buffer.from('<html>not json</html>'), []).rest()).toThrow();
    expect(() => split(Buffer.from('{"results": [1, 2'), []).rest()).toThrow();
  });
});
