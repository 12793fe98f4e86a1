import { describe, expect, it } from 'vitest';
import { pageDocument } from '../../indexer/document.ts';
import type { HtmlPage, HtmlPageBytes } from '../../schemas/index.ts';
import { htmlPage } from '../page-defaults.ts';

// Every byte JSON must escape, and characters it must not: quotes, backslashes, each control
// character, DEL, Latin-1, other scripts, an astral character, the line separators JavaScript treats apart.
const NASTY = `"quoted" back\\slash ${Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('')}\x7f Zürich – 東京 עברית 🚀 \u2028\u2029 </script>`;

const page = (text: string): HtmlPage =>
  htmlPage('42', text, {
    title: `Title ${text}`,
    sections: [
      { anchor: '', path: [], text: `intro ${text}` },
      { anchor: 'h-2', path: ['A "heading"', text], text },
    ],
  });

const asBytes = (p: HtmlPage): HtmlPageBytes => ({
  ...p,
  html: Buffer.from(p.html),
  text: Buffer.from(p.text),
  sections: p.sections.map((s) => ({ ...s, text: Buffer.from(s.text) })),
});

describe('page document', () => {
  const extra = { runId: '01JF0000000000000000000000', sourceId: 'acme' };

  it.each(['', 'plain', NASTY, NASTY.repeat(500)])(
    'is the JSON of the page and the extra fields, its texts read as bytes or as strings (%#)',
    (text) => {
      const expected = { ...page(text), ...extra };
      for (const source of [page(text), asBytes(page(text))]) {
        const doc = pageDocument(source, extra);
        expect(JSON.parse(doc.toString('utf8'))).toEqual(expected);
      }
    },
  );

  it('escapes as JSON.stringify does (same length), and ends an empty section list', () => {
    const p = { ...page(NASTY), sections: [] };
    const doc = pageDocument(asBytes(p), extra);
    expect(doc.length).toBe(Buffer.byteLength(JSON.stringify({ ...p, ...extra })));
    expect(JSON.parse(doc.toString('utf8')).sections).toEqual([]);
  });
});
