// Confluence's own elements (ac:*, ri:*) and macros, rendered as plain HTML.
import { emojiFor } from './emoticons.ts';
import { imgTag, linkTo } from './html-elements.ts';
import { type Handler, type Renderer, type Task, unwrap, wrap } from './render.ts';
import { attr, safeUrl } from './sanitize.ts';
import type { SiteUrls } from './site-urls.ts';
import { type Element, type Node, parseStorage, textOf } from './storage-parser.ts';

const BLOCK = { block: true };

function childElements(el: Element): Element[] {
  return el.children.filter((c): c is Element => typeof c !== 'string');
}

function child(el: Element, name: string): Element | undefined {
  return childElements(el).find((c) => c.name === name);
}

/** Text children (not just whitespace) or any element: a link body worth showing. */
function hasContent(nodes: readonly Node[]): boolean {
  return nodes.some((n) => typeof n !== 'string' || n.trim() !== '');
}

// ---- links, attachments and images ----------------------------------------------------------

interface Target {
  href: string | null;
  label: string;
}

/** Where an attachment lives: its download URL when the owner's id is known, else the owner page. */
function attachmentUrl(res: Element, urls: SiteUrls): { href: string; direct: boolean } | null {
  const filename = res.attrs['ri:filename'];
  if (!filename) return null;
  const owner = childElements(res)[0];
  if (owner === undefined) return { href: urls.attachment(filename), direct: true };
  const id = owner.attrs['ri:content-id'];
  if (id) return { href: urls.attachment(filename, id), direct: true };
  const href = resourceUrl(owner, urls);
  return href === null ? null : { href, direct: false };
}

/** The URL of a page, blog post, space or user reference (not attachments), or null. */
function resourceUrl(res: Element, urls: SiteUrls): string | null {
  const a = res.attrs;
  const key = a['ri:space-key'] || urls.ctx.spaceKey;
  const title = a['ri:content-title'];
  switch (res.name) {
    case 'ri:page':
      return title
        ? urls.pageByTitle(title, key)
        : a['ri:content-id']
          ? urls.pageById(a['ri:content-id'])
          : null;
    case 'ri:blog-post':
      return title ? urls.blogPost(title, a['ri:posting-day'] ?? '', key) : null;
    case 'ri:content-entity':
      return a['ri:content-id'] ? urls.pageById(a['ri:content-id']) : null;
    case 'ri:space':
      return a['ri:space-key'] ? urls.space(a['ri:space-key']) : null;
    case 'ri:user':
      return a['ri:account-id'] ? urls.user(a['ri:account-id']) : null;
    case 'ri:url':
      return safeUrl(a['ri:value'] ?? '', urls.page, 'link');
    default:
      return null;
  }
}

/** A mention's name: the display name the producer resolved, else the (Server) user name, else "user". */
function mentionName(a: Record<string, string>, urls: SiteUrls): string {
  const id = a['ri:account-id'];
  return (id && urls.ctx.users?.get(id)) || a['ri:username'] || 'user';
}

function linkTarget(res: Element | undefined, anchor: string, urls: SiteUrls): Target {
  if (res === undefined) {
    return anchor ? { href: urls.anchor(urls.page, anchor), label: anchor } : { href: null, label: '' };
  }
  const a = res.attrs;
  if (res.name === 'ri:attachment') {
    return { href: attachmentUrl(res, urls)?.href ?? null, label: a['ri:filename'] ?? '' };
  }
  const href = resourceUrl(res, urls);
  const title = a['ri:content-title'] ?? '';
  const label =
    res.name === 'ri:space'
      ? (a['ri:space-key'] ?? '')
      : res.name === 'ri:user'
        ? `@${mentionName(a, urls)}`
        : res.name === 'ri:url'
          ? (href ?? '')
          : title;
  if (href !== null && anchor) return { href: urls.anchor(href, anchor, title || urls.ctx.title), label };
  return { href, label: label || (href ?? '') };
}

const link: Handler = (el, r) => {
  let res: Element | undefined;
  let body: readonly Node[] = [];
  for (const c of childElements(el)) {
    if (c.name.startsWith('ri:')) res ??= c;
    else if (c.name === 'ac:plain-text-link-body') body = [textOf(c)];
    else if (c.name === 'ac:link-body') body = c.children;
  }
  const target = linkTarget(res, el.attrs['ac:anchor'] ?? '', r.urls);
  linkTo(r, target.href, hasContent(body) ? body : [target.label]);
};

const image: Handler = (el, r) => {
  const a = el.attrs;
  const res = childElements(el).find((c) => c.name.startsWith('ri:'));
  const caption = child(el, 'ac:caption');
  let out: Task[] = [];
  if (res?.name === 'ri:url') {
    const src = safeUrl(res.attrs['ri:value'] ?? '', r.urls.page, 'image');
    if (src !== null)
      out = [
        {
          html: imgTag(
            src,
            a['ac:alt'] ?? '',
            a['ac:title'] ?? '',
            a['ac:width'] ?? '',
            a['ac:height'] ?? '',
          ),
        },
      ];
  } else if (res?.name === 'ri:attachment') {
    const file = attachmentUrl(res, r.urls);
    const label = a['ac:alt'] || res.attrs['ri:filename'] || '';
    if (file?.direct) {
      out = [
        { html: imgTag(file.href, label, a['ac:title'] ?? '', a['ac:width'] ?? '', a['ac:height'] ?? '') },
      ];
    } else if (file) {
      // Attached to another page whose id storage format does not give: link to that page instead.
      out = wrap(`<a${attr('href', file.href)}>`, '</a>', [label], { link: true });
    }
  }
  if (caption)
    r.push(
      wrap(
        '<figure>',
        '</figure>',
        [...out, ...wrap('<figcaption>', '</figcaption>', caption.children, BLOCK)],
        BLOCK,
      ),
    );
  else r.push(out);
};

// ---- macros ---------------------------------------------------------------------------------

interface Macro {
  name: string;
  params: Map<string, string>;
  /** The rich-text body's children, or the plain-text body as one text node. */
  body: readonly Node[];
  /** The plain-text body (CDATA), when the macro has one. */
  plain: string | null;
}

function macroOf(el: Element): Macro {
  const params = new Map<string, string>();
  let body: readonly Node[] = [];
  let plain: string | null = null;
  for (const c of childElements(el)) {
    if (c.name === 'ac:parameter') params.set((c.attrs['ac:name'] ?? '').toLowerCase(), textOf(c).trim());
    else if (c.name === 'ac:rich-text-body') body = c.children;
    else if (c.name === 'ac:plain-text-body') {
      plain = textOf(c);
      body = [plain];
    }
  }
  return { name: (el.attrs['ac:name'] ?? '').toLowerCase(), params, body, plain };
}

type MacroRenderer = (m: Macro, r: Renderer) => void;

const LANGUAGE = /^[a-z0-9_+#.-]{1,32}$/i;
const COLOURS = new Set(['grey', 'red', 'yellow', 'green', 'blue', 'purple']);
const PANEL_TYPES = new Set(['info', 'note', 'warning', 'tip', 'success', 'error', 'panel']);

const code: MacroRenderer = (m, r) => {
  const lang = m.params.get('language') ?? '';
  const cls = LANGUAGE.test(lang) ? attr('class', `language-${lang.toLowerCase()}`) : '';
  // <code> sits between <pre> and the text, so a leading newline in the code is not swallowed.
  const pre = wrap(`<pre><code${cls}>`, '</code></pre>', m.body, { block: true, pre: true });
  const title = m.params.get('title');
  r.push(
    title
      ? wrap(
          '<div class="code-block">',
          '</div>',
          [...wrap('<div class="code-title">', '</div>', [title], BLOCK), ...pre],
          BLOCK,
        )
      : pre,
  );
};

function panel(type: string, title: string, body: readonly Task[], r: Renderer): void {
  const head = title ? wrap('<div class="panel-title"><strong>', '</strong></div>', [title], BLOCK) : [];
  r.push(
    wrap(
      `<div class="panel panel-${PANEL_TYPES.has(type) ? type : 'info'}">`,
      '</div>',
      [...head, ...body],
      BLOCK,
    ),
  );
}

const MACROS: Record<string, MacroRenderer> = {
  code,
  noformat: code,
  info: (m, r) => panel(m.name, m.params.get('title') ?? '', m.body, r),
  expand: (m, r) => {
    const summary = wrap(
      '<summary>',
      '</summary>',
      [m.params.get('title') || 'Click here to expand...'],
      BLOCK,
    );
    r.pushWrapped('<details>', '</details>', [...summary, ...m.body], BLOCK);
  },
  status: (m, r) => {
    const colour = (m.params.get('colour') ?? m.params.get('color') ?? 'grey').toLowerCase();
    const title = m.params.get('title') || colour;
    r.pushWrapped(`<span class="status status-${COLOURS.has(colour) ? colour : 'grey'}">`, '</span>', [
      title,
    ]);
  },
  excerpt: (m, r) => {
    if (m.params.get('hidden') !== 'true') r.push(unwrap(m.body, true));
  },
  anchor: (m, r) => {
    const name = m.params.get('') ?? m.params.get('0') ?? '';
    if (name) r.write({ html: `<span${attr('id', r.urls.anchorId(name))}></span>` });
  },
  jira: (m, r) => {
    const key = m.params.get('key');
    if (key) r.pushWrapped('<span class="jira-issue">', '</span>', [key]);
  },
  quote: (m, r) => r.pushWrapped('<blockquote>', '</blockquote>', m.body, BLOCK),
  html: (m, r) => {
    // Raw HTML goes through the same parser and allow-list as the page; one level deep only.
    if (m.plain === null) r.push(unwrap(m.body, true));
    else if (!r.inRawHtml) r.pushWrapped('', '', parseStorage(m.plain).children, { block: true, raw: true });
  },
  // Both list other content (or headings) that this page's own text already holds or cannot see.
  toc: () => {},
  children: () => {},
};
for (const type of ['note', 'warning', 'tip', 'panel']) MACROS[type] = MACROS.info as MacroRenderer;

function plainMacro(m: Macro, r: Renderer): void {
  const name = LANGUAGE.test(m.name) ? m.name : 'macro';
  const caption = wrap('<figcaption>', '</figcaption>', [name], BLOCK);
  const pre = wrap('<pre>', '</pre>', [m.plain ?? ''], { block: true, pre: true });
  r.pushWrapped(`<figure${attr('class', `macro macro-${name}`)}>`, '</figure>', [...caption, ...pre], BLOCK);
}

const macro: Handler = (el, r) => {
  const m = macroOf(el);
  const render = Object.hasOwn(MACROS, m.name) ? MACROS[m.name] : undefined;
  if (render) render(m, r);
  // Unknown macros keep a rich-text body; a plain-text body (a diagram's source: PlantUML, Mermaid...)
  // is kept as preformatted text under the macro's name, so its words are searchable.
  else if (m.plain === null) r.push(unwrap(m.body, true));
  else if (m.plain.trim() !== '') plainMacro(m, r);
};

// ---- tasks, layouts, ADF extensions ---------------------------------------------------------

const task: Handler = (el, r) => {
  const status = child(el, 'ac:task-status');
  const done = status !== undefined && textOf(status).trim() === 'complete';
  const body = child(el, 'ac:task-body')?.children ?? [];
  const box: Task = {
    html: `<input type="checkbox" disabled${done ? ' checked' : ''}> `,
    text: done ? '[x] ' : '[ ] ',
  };
  r.pushWrapped('<li class="task">', '</li>', [box, ...body], BLOCK);
};

const div =
  (cls: string): Handler =>
  (el, r) =>
    r.pushWrapped(`<div class="${cls}">`, '</div>', el.children, BLOCK);

function adfAttr(node: Element, key: string): string {
  const a = childElements(node).find((c) => c.name === 'ac:adf-attribute' && c.attrs.key === key);
  return a ? textOf(a).trim() : '';
}

/** ADF node types rendered natively; any other type shows the extension's fallback instead. */
const ADF_NODES: Record<string, Handler> = {
  'decision-list': (el, r) => r.pushWrapped('<ul class="decision-list">', '</ul>', el.children, BLOCK),
  'decision-item': (el, r) => r.pushWrapped('<li class="decision">', '</li>', el.children, BLOCK),
  panel: (el, r) => panel(adfAttr(el, 'panel-type'), '', el.children, r),
};

const adfKnown = (node: Element): boolean => Object.hasOwn(ADF_NODES, node.attrs.type ?? '');

const adfExtension: Handler = (el, r) => {
  const nodes = childElements(el).filter((c) => c.name === 'ac:adf-node');
  const fallback = child(el, 'ac:adf-fallback');
  r.push(fallback && !(nodes.length > 0 && nodes.every(adfKnown)) ? unwrap(fallback.children, true) : nodes);
};

const adfNode: Handler = (el, r) => {
  if (adfKnown(el)) (ADF_NODES[el.attrs.type as string] as Handler)(el, r);
  else r.push(unwrap(el.children, true));
};

const drop: Handler = () => {};

export const CONFLUENCE_HANDLERS: Record<string, Handler> = {
  'ac:structured-macro': macro,
  'ac:macro': macro,
  'ac:link': link,
  'ac:image': image,
  'ac:emoticon': (el, r) => r.push([emojiFor(el.attrs)]),
  'ac:task-list': (el, r) => r.pushWrapped('<ul class="task-list">', '</ul>', el.children, BLOCK),
  'ac:task': task,
  'ac:layout': div('layout'),
  'ac:layout-section': div('layout-section'),
  'ac:layout-cell': div('layout-cell'),
  'ac:adf-extension': adfExtension,
  'ac:adf-node': adfNode,
  'ac:adf-attribute': drop,
  'ac:placeholder': drop,
  'ac:parameter': drop,
  'ac:task-id': drop,
  'ac:task-uuid': drop,
  'ac:task-status': drop,
};
