import fc from 'fast-check';
import { Tokenizer } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { parseStorage, textOf, type Element } from '../../transformer/storage-parser.ts';

/**
 * Text runs and attribute values in document order, decoded by htmlparser2's Tokenizer itself (its
 * decodeEntities mode): what parseStorage gave before it decoded entities on its own.
 */
function decodedByTokenizer(src: string): string[] {
  const out: string[] = [];
  let text = '';
  let value = '';
  // An element's attributes count once its start tag is complete (as parseStorage adds it only then).
  let attrs = new Map<string, string>();
  let name = '';
  const flush = () => {
    if (text !== '') out.push(text);
    text = '';
  };
  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: true, recognizeSelfClosing: true },
    {
      ontext: (start, end) => (text += src.slice(start, end)),
      ontextentity: (cp) => (text += String.fromCodePoint(cp)),
      oncdata: (start, end, offset) => (text += src.slice(start, end - offset)),
      onopentagname: () => {
        flush();
        attrs = new Map();
      },
      onattribname: (start, end) => {
        name = src.slice(start, end).toLowerCase();
        value = '';
      },
      onattribdata: (start, end) => (value += src.slice(start, end)),
      onattribentity: (cp) => (value += String.fromCodePoint(cp)),
      onattribend: () => {
        if (!attrs.has(name)) attrs.set(name, value); // the first of a duplicate wins
      },
      onopentagend: () => out.push(...attrs.values()),
      onselfclosingtag: () => out.push(...attrs.values()),
      onclosetag: flush,
      oncomment: (start, end) => {
        if (end === src.length && src.startsWith('[CDATA[', start)) text += src.slice(start + 7, end);
      },
      ondeclaration: () => {},
      onprocessinginstruction: () => {},
      onend: flush,
    },
  );
  tokenizer.write(src);
  tokenizer.end();
  return out;
}

function decodedByUs(src: string): string[] {
  const out: string[] = [];
  const walk = (el: Element) => {
    for (const c of el.children) {
      if (typeof c === 'string') out.push(c);
      else {
        out.push(...Object.values(c.attrs));
        walk(c);
      }
    }
  };
  walk(parseStorage(src));
  return out;
}

describe('parseStorage entity decoding (done by us, not by the tokenizer)', () => {
  it.each([
    [
      'named, legacy and numeric references in text',
      '<p>a &amp; b &lt;c&gt; &copy &notit; &#x41;&#66; &bogus;</p>',
      'a & b <c> © ¬it; AB &bogus;',
    ],
    ['a reference at the very end', '<p>x &amp', 'x &'],
    ['text split by a lone <', '<p>1 &lt 2 < 3 &gt 0</p>', '1 < 2 < 3 > 0'],
    [
      'raw-text elements keep references as written',
      '<h2>a<script>&amp;</script><style>&lt;</style></h2>',
      'a&amp;&lt;',
    ],
    ['RCDATA elements decode them', '<h2><title>&amp;</title><textarea>&lt;</textarea></h2>', '&<'],
    ['CDATA is never decoded', '<p><![CDATA[&amp;]]>&amp;</p>', '&amp;&'],
  ])('%s', (_name, src, text) => {
    expect(textOf(parseStorage(src))).toBe(text);
  });

  it('attribute values use the attribute rules: a legacy name before = or a letter stays', () => {
    const a = parseStorage('<a href="?a=1&copy=2&amp;b&copyx&copy;" title=x&amp;y>l</a>')
      .children[0] as Element;
    expect(a.attrs).toEqual({ href: '?a=1&copy=2&b&copyx©', title: 'x&y' });
  });

  it("decodes as htmlparser2's own decoding does, on arbitrary markup with references", () => {
    const piece = fc.constantFrom(
      '<p>',
      '</p>',
      '<a href="',
      '">',
      "<b title='",
      "'>",
      '&amp;',
      '&amp',
      '&copy',
      '&copy;',
      '&notit;',
      '&#x41;',
      '&#65',
      '&#;',
      '&',
      '=',
      'x',
      ' ',
      '<',
      '>',
      '<script>',
      '</script>',
      '<title>',
      '</title>',
      '<![CDATA[',
      ']]>',
      '<!--',
      '-->',
      '<br/>',
      '"',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 40 }), (pieces) => {
        const src = pieces.join('');
        expect(decodedByUs(src).join('|')).toBe(decodedByTokenizer(src).join('|'));
      }),
      { numRuns: 5000 },
    );
  });
});
