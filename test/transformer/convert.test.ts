import { describe, expect, it } from 'vitest';
import { ConversionError, convertPage } from '../../transformer/convert.ts';
import { CTX, convert, find, unsafety, visible } from './helpers.ts';

const BASE = 'https://acme.atlassian.net/wiki';
const macro = (name: string, params: Record<string, string>, body = ''): string =>
  `<ac:structured-macro ac:name="${name}" ac:schema-version="1">` +
  Object.entries(params)
    .map(([k, v]) => `<ac:parameter ac:name="${k}">${v}</ac:parameter>`)
    .join('') +
  body +
  '</ac:structured-macro>';
const rich = (s: string): string => `<ac:rich-text-body>${s}</ac:rich-text-body>`;
const plain = (s: string): string => `<ac:plain-text-body><![CDATA[${s}]]></ac:plain-text-body>`;

describe('sections and mentions', () => {
  it("headings get Confluence's ids, repeated ones numbered, and split the text into sections", () => {
    const { html, sections } = convert(
      '<p>Intro.</p><h1>Set up</h1><p>Install it.</p><h2>On Linux</h2><p>apt.</p><h1>Use it</h1><h2>On Linux</h2><p>run.</p>',
    );
    // CTX.title is "Test Page": Confluence drops whitespace and hyphens from the title and heading.
    expect(find(html, 'h1').map((h) => h.attrs.id)).toEqual(['TestPage-Setup', 'TestPage-Useit']);
    expect(find(html, 'h2').map((h) => h.attrs.id)).toEqual(['TestPage-OnLinux', 'TestPage-OnLinux.1']);
    expect(sections).toEqual([
      { anchor: '', path: [], text: 'Intro.' },
      { anchor: 'TestPage-Setup', path: ['Set up'], text: 'Set up\nInstall it.' },
      { anchor: 'TestPage-OnLinux', path: ['Set up', 'On Linux'], text: 'On Linux\napt.' },
      { anchor: 'TestPage-Useit', path: ['Use it'], text: 'Use it' },
      { anchor: 'TestPage-OnLinux.1', path: ['Use it', 'On Linux'], text: 'On Linux\nrun.' },
    ]);
  });

  it('a mention shows the display name the producer resolved, else "@user"', () => {
    const body =
      '<p><ac:link><ri:user ri:account-id="712020:aa" /></ac:link> and <ac:link><ri:user ri:account-id="712020:bb" /></ac:link></p>';
    const { text } = convertPage(body, { ...CTX, users: new Map([['712020:aa', 'Ana Okafor']]) });
    expect(text).toBe('@Ana Okafor and @user');
  });
});

describe('text and structure', () => {
  it('keeps headings and text formatting', () => {
    const { html } = convert(
      '<h1>One</h1><h6>Six</h6><p><strong>b</strong> <em>i</em> <u>u</u> <s>s</s> <del>d</del> <sub>2</sub> <sup>3</sup> <code>c</code> <b>bb</b> <i>ii</i></p>',
    );
    for (const tag of ['h1', 'h6', 'strong', 'em', 'u', 's', 'del', 'sub', 'sup', 'code'])
      expect(find(html, tag).length).toBeGreaterThan(0);
    expect(find(html, 'strong').map((e) => e.text)).toEqual(['b', 'bb']);
    expect(find(html, 'em').map((e) => e.text)).toEqual(['i', 'ii']);
    expect(find(html, 'b')).toHaveLength(0);
  });

  it('keeps lists, with nesting and start numbers', () => {
    const { html, text } = convert('<ol start="3"><li>three</li><li>four<ul><li>nested</li></ul></li></ol>');
    expect(find(html, 'ol')[0]?.attrs.start).toBe('3');
    expect(find(html, 'li').map((e) => e.text)).toEqual(['three', 'fournested', 'nested']);
    expect(text).toBe('3. three\n4. four\n- nested');
  });

  it('keeps tables with colspan and rowspan, drops column widths and styles', () => {
    const { html } = convert(
      '<table data-layout="default"><colgroup><col style="width: 240.0px;" /></colgroup><tbody><tr><th scope="col">H</th></tr>' +
        '<tr><td colspan="2" rowspan="3" style="background: red">cell</td><td colspan="x">bad</td></tr></tbody></table>',
    );
    expect(find(html, 'table')[0]?.attrs).toEqual({});
    expect(find(html, 'th')[0]?.attrs).toEqual({ scope: 'col' });
    expect(find(html, 'td')[0]?.attrs).toEqual({ colspan: '2', rowspan: '3' });
    expect(find(html, 'td')[1]?.attrs).toEqual({});
    expect(find(html, 'col')).toHaveLength(0);
    expect(html).not.toContain('240');
  });

  it('decodes every named HTML entity and numeric references', () => {
    const { text } = convert(
      '<p>&nbsp;&mdash;&rarr;&hellip;&eacute;&euro;&frac12;&hearts;&#x1F680;&#169;&unknownentity;</p>',
    );
    expect(text).toBe('\u00a0—→…é€½♥🚀©&unknownentity;');
  });

  it('shows <time> as its date', () => {
    const { html, text } = convert('<p>Due <time datetime="2026-03-14" /></p>');
    expect(find(html, 'time')[0]).toMatchObject({ attrs: { datetime: '2026-03-14' }, text: '2026-03-14' });
    expect(text).toBe('Due 2026-03-14');
  });

  it('keeps preformatted HTML blocks exactly, including a leading newline', () => {
    const { html } = convert('<pre>\n  indented\n\ttab</pre>');
    expect(find(html, 'pre')[0]?.text).toBe('\n  indented\n\ttab');
  });
});

describe('macros', () => {
  it('code keeps every character and whitespace, and the language as a class', () => {
    const code = '\n\tif (a < b && c > d) {\r\n  return "x";   \n}\u00a0\u2003 // ünïcödé 🚀\n\n';
    const { html, text } = convert(
      macro('code', { language: 'TypeScript', linenumbers: 'true' }, plain(code)),
    );
    const [pre] = find(html, 'pre');
    expect(pre?.text).toBe(code);
    expect(find(html, 'code')[0]?.attrs.class).toBe('language-typescript');
    expect(text).toContain('if (a < b && c > d) {\r\n  return "x";   \n}');
    expect(visible(html)).not.toContain('true');
  });

  it('code splits CDATA the way Confluence escapes ]]>', () => {
    const { html } = convert(
      macro('code', {}, '<ac:plain-text-body><![CDATA[a]]]]><![CDATA[>b]]></ac:plain-text-body>'),
    );
    expect(find(html, 'pre')[0]?.text).toBe('a]]>b');
  });

  it('noformat is a verbatim block, and a hostile language is dropped', () => {
    const { html } = convert(macro('noformat', { language: '&quot;&gt;&lt;script&gt;' }, plain('  x  ')));
    expect(find(html, 'pre')[0]?.text).toBe('  x  ');
    expect(find(html, 'code')[0]?.attrs).toEqual({});
  });

  it.each(['info', 'note', 'warning', 'tip', 'panel'])(
    '%s is a titled panel without its styling parameters',
    (name) => {
      const { html, text } = convert(
        macro(name, { title: 'Heads up', bgColor: '#DEEBFF' }, rich('<p>Body</p>')),
      );
      expect(find(html, 'div')[0]?.attrs.class).toBe(`panel panel-${name}`);
      expect(text).toBe('Heads up\nBody');
      expect(html).not.toContain('DEEBFF');
    },
  );

  it('expand becomes details/summary', () => {
    const { html } = convert(macro('expand', { title: 'More' }, rich('<p>Hidden</p>')));
    expect(find(html, 'summary')[0]?.text).toBe('More');
    expect(find(html, 'details')[0]?.text).toBe('MoreHidden');
  });

  it('status is a coloured lozenge', () => {
    const { html } = convert(`<p>${macro('status', { colour: 'Red', title: 'Blocked' })}</p>`);
    expect(find(html, 'span')[0]).toMatchObject({ attrs: { class: 'status status-red' }, text: 'Blocked' });
  });

  it('excerpt shows its body unless hidden', () => {
    expect(visible(convert(macro('excerpt', {}, rich('<p>Shown</p>'))).html)).toBe('Shown');
    expect(visible(convert(macro('excerpt', { hidden: 'true' }, rich('<p>Secret</p>'))).html)).toBe('');
  });

  it('anchor becomes a link target that anchor links point at', () => {
    const { html } = convert(
      macro('anchor', { '': 'steps' }) +
        '<p><ac:link ac:anchor="steps"><ac:plain-text-link-body><![CDATA[go]]></ac:plain-text-link-body></ac:link></p>',
    );
    expect(find(html, 'span')[0]?.attrs.id).toBe('TestPage-steps');
    expect(find(html, 'a')[0]?.attrs.href).toBe(`${BASE}/spaces/ENG/pages/1000#TestPage-steps`);
  });

  it('jira shows the issue key only', () => {
    const { html } = convert(macro('jira', { server: 'System JIRA', serverId: 'abc', key: 'OPS-1' }));
    expect(visible(html)).toBe('OPS-1');
  });

  it('toc and children are omitted', () => {
    expect(convert(macro('toc', { maxLevel: '3' }) + macro('children', { all: 'true' })).html).toBe('');
  });

  it('unknown macros keep their rich body, never their parameters', () => {
    const { html } = convert(macro('acme-widget', { secret: 'p4ss' }, rich('<p>kept</p>')));
    expect(visible(html)).toBe('kept');
  });

  it('unknown macros with a plain-text body (diagrams) keep it as preformatted text under their name', () => {
    const { html, text } = convert(
      macro('plantuml', { format: 'svg' }, plain('@startuml\nAlice -> Bob: hello <b>\n@enduml')) +
        macro('mermaid', {}, plain('graph TD; Checkout-->Payment')),
    );
    expect(find(html, 'figure').map((f) => f.attrs.class)).toEqual([
      'macro macro-plantuml',
      'macro macro-mermaid',
    ]);
    expect(find(html, 'figcaption').map((f) => f.text)).toEqual(['plantuml', 'mermaid']);
    expect(find(html, 'pre')[0]?.text).toBe('@startuml\nAlice -> Bob: hello <b>\n@enduml');
    expect(find(html, 'b')).toHaveLength(0); // the source is text, never markup
    expect(text).toContain('Alice -> Bob: hello');
    expect(text).toContain('Checkout-->Payment');
    expect(html).not.toContain('svg');
  });

  it('the old ac:macro form works too', () => {
    const { html } = convert(
      '<ac:macro ac:name="code"><ac:plain-text-body><![CDATA[x = 1]]></ac:plain-text-body></ac:macro>',
    );
    expect(find(html, 'pre')[0]?.text).toBe('x = 1');
  });

  it('raw HTML macros are sanitized, not dropped', () => {
    const { html } = convert(
      macro(
        'html',
        {},
        plain('<div>Embedded <b>bold</b><script>alert(1)</script><img src=x onerror=alert(2)></div>'),
      ),
    );
    expect(visible(html)).toBe('Embedded bold');
    expect(unsafety(html)).toEqual([]);
  });
});

describe('links', () => {
  const link = (resource: string, body = ''): string => `<ac:link>${resource}${body}</ac:link>`;
  const hrefOf = (storage: string, ctx = {}): string | undefined =>
    find(convert(storage, ctx).html, 'a')[0]?.attrs.href;

  it('a page by title resolves through /display/ with + for spaces', () => {
    expect(hrefOf(link('<ri:page ri:content-title="Release Notes &amp; Q+A" />'))).toBe(
      `${BASE}/display/ENG/Release+Notes+%26+Q%2BA`,
    );
    expect(hrefOf(link('<ri:page ri:content-title="Other" ri:space-key="OPS" />'))).toBe(
      `${BASE}/display/OPS/Other`,
    );
    expect(visible(convert(link('<ri:page ri:content-title="Other" />')).html)).toBe('Other');
  });

  it('a page link with an anchor points into that page', () => {
    expect(hrefOf('<ac:link ac:anchor="Setup"><ri:page ri:content-title="Run Book" /></ac:link>')).toBe(
      `${BASE}/display/ENG/Run+Book#RunBook-Setup`,
    );
  });

  it('blog posts, spaces, users and content ids', () => {
    expect(hrefOf(link('<ri:blog-post ri:content-title="We shipped" ri:posting-day="2026/01/15" />'))).toBe(
      `${BASE}/display/ENG/2026/01/15/We+shipped`,
    );
    expect(hrefOf(link('<ri:space ri:space-key="HR" />'))).toBe(`${BASE}/spaces/HR`);
    expect(hrefOf(link('<ri:user ri:account-id="5570:abc" />'))).toBe(`${BASE}/people/5570%3Aabc`);
    expect(hrefOf(link('<ri:content-entity ri:content-id="42" />'))).toBe(
      `${BASE}/pages/viewpage.action?pageId=42`,
    );
  });

  it('attachments link to the download URL, or to the page that holds them', () => {
    expect(hrefOf(link('<ri:attachment ri:filename="price list.pdf" />'), { pageId: '77' })).toBe(
      `${BASE}/download/attachments/77/price%20list.pdf`,
    );
    expect(
      hrefOf(
        link(
          '<ri:attachment ri:filename="t.docx"><ri:page ri:content-title="Legal" ri:space-key="LEG" /></ri:attachment>',
        ),
      ),
    ).toBe(`${BASE}/display/LEG/Legal`);
  });

  it('link bodies: plain text, rich, or the target name', () => {
    const rich = convert(
      link('<ri:page ri:content-title="P" />', '<ac:link-body><strong>Bold</strong> name</ac:link-body>'),
    ).html;
    expect(find(rich, 'a')[0]?.text).toBe('Bold name');
    expect(find(rich, 'strong')).toHaveLength(1);
  });

  it('plain links resolve against the site and keep their query', () => {
    expect(hrefOf('<a href="/wiki/spaces/X/pages/1">x</a>')).toBe(
      'https://acme.atlassian.net/wiki/spaces/X/pages/1',
    );
    expect(hrefOf('<a href="https://e.com/?a=1&amp;b=2">x</a>')).toBe('https://e.com/?a=1&b=2');
    expect(hrefOf('<a href="mailto:ops@example.com">x</a>')).toBe('mailto:ops@example.com');
  });

  it('a link inside a link body is unwrapped, not nested', () => {
    const { html } = convert(
      link(
        '<ri:page ri:content-title="P" />',
        '<ac:link-body>see <a href="https://e.com">inner</a></ac:link-body>',
      ),
    );
    expect(find(html, 'a')).toHaveLength(1);
    expect(find(html, 'a')[0]?.text).toBe('see inner');
  });
});

describe('images, emoticons, tasks, layouts', () => {
  it('images from URLs and attachments, with captions', () => {
    const { html, text } = convert(
      '<ac:image ac:alt="Diagram" ac:width="600"><ri:attachment ri:filename="a b.png" /><ac:caption><p>Flow</p></ac:caption></ac:image>' +
        '<ac:image><ri:url ri:value="https://cdn.example.com/x.png" /></ac:image>',
    );
    const imgs = find(html, 'img');
    expect(imgs[0]?.attrs).toEqual({
      src: `${BASE}/download/attachments/1000/a%20b.png`,
      alt: 'Diagram',
      width: '600',
    });
    expect(imgs[1]?.attrs.src).toBe('https://cdn.example.com/x.png');
    expect(find(html, 'figcaption')[0]?.text).toBe('Flow');
    expect(text).toBe('Flow');
  });

  it('emoticons become emoji', () => {
    const { text } = convert(
      '<p><ac:emoticon ac:name="smile" /> <ac:emoticon ac:name="blue-star" ac:emoji-id="1f389" ac:emoji-fallback=":tada:" /> <ac:emoticon ac:name="x" ac:emoji-fallback="&#x2714;" /></p>',
    );
    expect(text).toBe('🙂 🎉 ✔');
  });

  it('task lists have disabled checkboxes, checked when complete', () => {
    const { html, text } = convert(
      '<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>Done</ac:task-body></ac:task>' +
        '<ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>Todo</ac:task-body></ac:task></ac:task-list>',
    );
    const boxes = find(html, 'input');
    expect(boxes.map((b) => b.attrs)).toEqual([
      { type: 'checkbox', disabled: '', checked: '' },
      { type: 'checkbox', disabled: '' },
    ]);
    expect(text).toBe('[x] Done\n[ ] Todo');
  });

  it('layouts become plain sections without their type names', () => {
    const { html, text } = convert(
      '<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p>L</p></ac:layout-cell><ac:layout-cell><p>R</p></ac:layout-cell></ac:layout-section></ac:layout>',
    );
    expect(find(html, 'div').map((d) => d.attrs.class)).toEqual([
      'layout',
      'layout-section',
      'layout-cell',
      'layout-cell',
    ]);
    expect(text).toBe('L\nR');
    expect(html).not.toContain('two_equal');
  });

  it('placeholders are dropped and inline comment markers unwrapped', () => {
    const { html } = convert(
      '<p><ac:placeholder>Type here</ac:placeholder></p><p>The <ac:inline-comment-marker ac:ref="abc">target</ac:inline-comment-marker> is set.</p>',
    );
    expect(visible(html)).toBe('The target is set.');
  });

  it('adf extensions render known nodes or else the fallback, never both', () => {
    const known = convert(
      '<ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">warning</ac:adf-attribute><ac:adf-content><p>Careful</p></ac:adf-content></ac:adf-node>' +
        '<ac:adf-fallback><div><p>Careful</p></div></ac:adf-fallback></ac:adf-extension>',
    ).html;
    expect(visible(known)).toBe('Careful');
    expect(find(known, 'div')[0]?.attrs.class).toBe('panel panel-warning');
    const unknown = convert(
      '<ac:adf-extension><ac:adf-node type="mystery"><ac:adf-content>raw</ac:adf-content></ac:adf-node><ac:adf-fallback><p>Fallback</p></ac:adf-fallback></ac:adf-extension>',
    ).html;
    expect(visible(unknown)).toBe('Fallback');
  });
});

describe('plain text', () => {
  it('puts blocks on their own lines and folds whitespace without markup', () => {
    const { text } = convert(
      '<h1>Title</h1><p>One   two\n three <strong>bold</strong>&nbsp;x</p><ul><li>a</li><li>b</li></ul><p>&lt;not a tag&gt;</p><p>line<br />break</p>',
    );
    expect(text).toBe('Title\nOne two three bold\u00a0x\n- a\n- b\n<not a tag>\nline\nbreak');
  });

  it('table cells are separate lines', () => {
    expect(convert('<table><tr><td>a</td><td>b</td></tr></table>').text).toBe('a\nb');
  });
});

describe('errors', () => {
  it('throws ConversionError with a reason only for input that is not a page', () => {
    expect(() => convertPage(42 as unknown as string, CTX)).toThrow(ConversionError);
    expect(() => convertPage('<p>x</p>', { ...CTX, baseUrl: 'not a url' })).toThrow(
      expect.objectContaining({ reason: 'invalid-context' }),
    );
    expect(() => convertPage('x'.repeat(64 * 1024 * 1024 + 1), CTX)).toThrow(
      expect.objectContaining({ reason: 'too-large' }),
    );
  });

  it('an empty page converts to nothing', () => {
    expect(convert('')).toEqual({ html: '', text: '', sections: [] });
  });
});
