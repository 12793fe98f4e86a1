import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convert, elements, find, unsafety, visible } from './helpers.ts';

const code = (body: string): string =>
  `<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[${body}]]></ac:plain-text-body></ac:structured-macro>`;

const ATTACKS: Record<string, string> = {
  'event handler':
    '<p onclick="steal()" onMouseOver="x()">text</p><img src="https://e.com/a.png" onerror="alert(1)" />',
  'javascript: link': '<a href="javascript:alert(1)">a</a>',
  'entity-obfuscated javascript:':
    '<a href="JaVaScRiPt&#58;alert(2)">a</a><a href="jav&#x09;ascript:alert(3)">b</a><a href="&#106;avascript:alert(4)">c</a>',
  'whitespace-obfuscated javascript:':
    '<a href=" \tjava\nscript:alert(5)">a</a><a href="&#0;javascript:alert(6)">b</a>',
  'vbscript: and data: links':
    '<a href="vbscript:msgbox(1)">a</a><a href="data:text/html;base64,PHNjcmlwdD4=">b</a>',
  'data: svg image': '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" />',
  'svg with script':
    '<svg onload="alert(1)"><script>alert(2)</script><a xlink:href="javascript:alert(3)">x</a></svg>',
  'style element and attribute':
    '<style>body{display:none}</style><p style="background:url(javascript:alert(1))">s</p>',
  'iframe, object, embed, form':
    '<iframe src="https://evil.example.com"></iframe><object data="x.swf"></object><embed src="x.swf" /><form action="https://evil"><input name="p" /></form>',
  'script nested in a macro body':
    '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>ok</p><script>alert(1)</script></ac:rich-text-body></ac:structured-macro>',
  'script in raw HTML macro': code(
    '<div>x<script>alert(1)</script><img src=x onerror=alert(2)><a href="javascript:alert(3)">y</a></div>',
  ),
  'raw HTML macro inside raw HTML macro': code(
    '<ac:structured-macro ac:name="html"><ac:plain-text-body>&lt;script&gt;alert(1)&lt;/script&gt;</ac:plain-text-body></ac:structured-macro>',
  ),
  'ri:url javascript':
    '<ac:link><ri:url ri:value="javascript:alert(1)" /></ac:link><ac:image><ri:url ri:value="javascript:alert(2)" /></ac:image>',
  'base and meta': '<base href="https://evil/" /><meta http-equiv="refresh" content="0;url=https://evil" />',
};

describe('sanitization', () => {
  it.each(Object.entries(ATTACKS))('%s is neutralised', (_name, storage) => {
    const { html, text } = convert(storage);
    expect(unsafety(html)).toEqual([]);
    expect(html).not.toMatch(/alert|steal|javascript|vbscript|<script|onerror|onclick/i);
    expect(text).not.toMatch(/alert\(|display:none/);
  });

  it('keeps the visible text around what it removes', () => {
    const { html } = convert(ATTACKS['script nested in a macro body'] as string);
    expect(visible(html)).toBe('ok');
  });

  it('allows raster data: images only', () => {
    const png = 'data:image/png;base64,iVBORw0KGgo=';
    expect(find(convert(`<img src="${png}" />`).html, 'img')[0]?.attrs.src).toBe(png);
  });

  it('escapes titles, parameters and text: no markup or attribute injection', () => {
    const evil = '"><img src=x onerror=alert(1)>&<';
    const escaped = evil
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;');
    const { html } = convert(
      `<p>${escaped}</p>` +
        `<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">${escaped}</ac:parameter></ac:structured-macro>` +
        `<ac:structured-macro ac:name="status"><ac:parameter ac:name="colour">${escaped}</ac:parameter><ac:parameter ac:name="title">${escaped}</ac:parameter></ac:structured-macro>` +
        `<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">${escaped}</ac:parameter></ac:structured-macro>` +
        `<ac:link><ri:page ri:content-title="${escaped}" /></ac:link>` +
        `<ac:image ac:alt="${escaped}"><ri:attachment ri:filename="${escaped}" /></ac:image>`,
      { title: evil },
    );
    expect(unsafety(html)).toEqual([]);
    expect(elements(html).map((e) => e.tag)).not.toContain('img' + 'x');
    expect(find(html, 'img')).toHaveLength(1);
    expect(find(html, 'img')[0]?.attrs.alt).toBe(evil);
    expect(find(html, 'summary')[0]?.text).toBe(evil);
    expect(find(html, 'a')[0]?.text).toBe(evil);
  });

  it('is safe for any mix of hostile fragments', () => {
    const fragments = [
      '<script>alert(1)</script>',
      '<p onclick="x()">',
      '</p>',
      '<a href="javascript:alert(1)">',
      '</a>',
      '<svg>',
      '<style>',
      '<![CDATA[<script>]]>',
      '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<img src=x onerror=alert(1)>]]></ac:plain-text-body></ac:structured-macro>',
      '<ac:link><ri:url ri:value="jav&#x61;script:x" /></ac:link>',
      '&lt;script&gt;',
      '<img src="javascript:x" />',
      '<iframe>',
      '<!--',
      '-->',
      '"',
      "'",
      '<',
      '>',
      '&',
      '<ac:parameter ac:name="title">',
      '<a href=" j a v a s c r i p t:x">',
      'text',
      '\0',
      '<br>',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 40 }), fc.string(), (parts, extra) => {
        expect(unsafety(convert(parts.join('') + extra).html)).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });
});
