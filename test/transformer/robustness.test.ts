import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../transformer/render.ts';
import { convert, find, unsafety, visible } from './helpers.ts';

/** The deepest element nesting in serialized HTML. */
function nesting(html: string): number {
  let depth = 0;
  let max = 0;
  for (const [, close, tag] of html.matchAll(/<(\/?)([a-z0-9]+)[^>]*>/g)) {
    if (tag === 'br' || tag === 'img' || tag === 'hr' || tag === 'input') continue;
    depth += close ? -1 : 1;
    max = Math.max(max, depth);
  }
  return max;
}

describe('malformed markup', () => {
  it.each([
    ['unclosed tags', '<p>one<strong>two<p>three', 'onetwothree'],
    ['stray closers', '</div></p><p>text</em></p></ac:link>', 'text'],
    ['mis-nested tags', '<p><strong>a<em>b</strong>c</em></p>', 'abc'],
    ['unknown entities', '<p>&bogus; &amp &#xZZ; &#99999999;</p>', '&bogus; & &#xZZ; \ufffd'],
    ['an unterminated CDATA', '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[x', 'x'],
    ['a broken tag at the end', '<p>text</p><ac:link', 'text'],
    ['attributes without values or quotes', '<td colspan=2 rowspan>cell</td>', 'cell'],
  ])('%s do not throw', (_name, storage, text) => {
    const { html } = convert(storage);
    expect(visible(html)).toBe(text);
    expect(unsafety(html)).toEqual([]);
  });

  it('NUL bytes are removed', () => {
    const { html, text } = convert(
      '<p>a\0b</p><ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[c\0d]]></ac:plain-text-body></ac:structured-macro>',
    );
    expect(html).not.toContain('\0');
    expect(text).toBe('ab\ncd');
  });

  it('many stray closers and unclosed openers stay linear', () => {
    const storage = '<b>'.repeat(50_000) + '</i>'.repeat(50_000) + '<p>end</p>';
    const { text } = convert(storage);
    expect(text).toBe('end');
  });
});

describe('size and depth', () => {
  it('10,000+ nested elements convert without overflowing the stack, content kept', () => {
    const depth = 20_000;
    for (const [open, close] of [
      ['<ul><li>', '</li></ul>'],
      ['<div>', '</div>'],
      [
        '<ac:structured-macro ac:name="expand"><ac:rich-text-body>',
        '</ac:rich-text-body></ac:structured-macro>',
      ],
    ]) {
      const { html, text } = convert(open!.repeat(depth) + 'deep-leaf' + close!.repeat(depth));
      expect(text).toContain('deep-leaf');
      // Output nesting is bounded so that recursive readers of the HTML survive too.
      expect(nesting(html)).toBeLessThanOrEqual(MAX_DEPTH);
      expect(visible(html)).toContain('deep-leaf');
    }
  });

  it('a 5 MB page converts completely', () => {
    const block =
      '<h2>Section</h2><p>Some <strong>bold</strong> text &amp; a <ac:link><ri:page ri:content-title="Other" /></ac:link>.</p>' +
      '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[let x = 1;\n]]></ac:plain-text-body></ac:structured-macro>' +
      '<table><tbody><tr><td>a</td><td>b</td></tr></tbody></table>';
    const storage = block.repeat(Math.ceil(5_000_000 / block.length)) + '<p>last paragraph</p>';
    expect(storage.length).toBeGreaterThan(5_000_000);
    const { html, text } = convert(storage);
    expect(text.endsWith('last paragraph')).toBe(true);
    expect(find(html.slice(-200), 'p').at(-1)?.text).toBe('last paragraph');
    expect(html.split('<pre>').length - 1).toBe(Math.ceil(5_000_000 / block.length));
  });
});
