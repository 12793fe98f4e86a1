// The storage body taken out of a page's JSON as bytes: for any page, any body text (every escape JSON
// allows, astral characters, lone surrogates), any spacing and any cut into parts, the body is exactly
// the UTF-8 that JSON.parse and encoding would give, and the rest is the page with the body's value
// emptied. A `value` key elsewhere is not taken for the body; a page without a body has an empty one.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createStorageBodyReader } from '../../producer/body-bytes.ts';

/** JSON text with every character outside ASCII written as a \u escape (as some servers do). */
const escapeAll = (json: string) =>
  json.replace(/[^ -~\t\n\r]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function cut(bytes: Buffer, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    if (to > from) parts.push(bytes.subarray(from, to));
    from = to;
  }
  return parts;
}

const page = fc.record({
  id: fc.string(),
  title: fc.string({ unit: 'binary' }),
  version: fc.record({ number: fc.nat(), value: fc.string() }),
  extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  body: fc.string({ unit: 'binary' }),
});

describe('storage body bytes', () => {
  it('gives the UTF-8 of the body and the page without it, whatever the escaping, spacing and parts', () => {
    fc.assert(
      fc.property(
        page,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.boolean(),
        fc.boolean(),
        (p, cuts, pretty, escaped) => {
          const doc = {
            id: p.id,
            title: p.title,
            version: p.version,
            ...p.extra,
            body: { storage: { value: p.body, representation: 'storage' } },
            _links: { webui: '/x' },
          };
          let json = JSON.stringify(doc, null, pretty ? 2 : undefined);
          if (escaped) json = escapeAll(json);
          const { page: rest, body } = createStorageBodyReader().read(cut(Buffer.from(json), cuts));
          expect(body.equals(Buffer.from(p.body))).toBe(true);
          const expected = JSON.parse(json) as typeof doc;
          expected.body.storage.value = '';
          expect(rest).toEqual(expected);
        },
      ),
    );
  });

  it('reads many pages into shared slabs without one body overwriting another', () => {
    const reader = createStorageBodyReader();
    const bodies = Array.from({ length: 300 }, (_, i) =>
      `<p>page ${i} \u00e9\u{1F600} "q"</p>`.repeat(i * 7),
    );
    const read = bodies.map((b) =>
      reader.read([Buffer.from(JSON.stringify({ id: 1, body: { storage: { value: b } } }))]),
    );
    read.forEach((r, i) => expect(r.body.toString('utf8')).toBe(bodies[i]));
  });

  it('gives an empty body for a page without one, or with a `value` only elsewhere', () => {
    const reader = createStorageBodyReader();
    for (const doc of [
      { id: 1 },
      { id: 1, body: {} },
      { id: 1, body: { storage: { value: null } } },
      { id: 1, value: 'x', storage: { value: 'y' }, body: { view: { value: 'z' } } },
      { id: 1, body: [{ storage: { value: 'in an array' } }] },
    ]) {
      const { page: rest, body } = reader.read([Buffer.from(JSON.stringify(doc))]);
      expect(body.length).toBe(0);
      expect(rest).toEqual(doc);
    }
  });

  it('refuses JSON it cannot read', () => {
    const reader = createStorageBodyReader();
    for (const bad of [
      '{"body":{"storage":{"value":"\\x"}}}',
      '{"body":{"storage":{"value":"\\u12"}}}',
      '{"id":',
    ])
      expect(() => reader.read([Buffer.from(bad)])).toThrow(SyntaxError);
  });
});
