// Plain HTML elements that need more than the allow-list: URLs, void elements, list markers in the
// plain text, and <pre>'s leading newline.
import { TIME_ATTRS, allowedAttrs, attr, safeUrl } from './sanitize.ts';
import { type Handler, type Renderer, type Task, wrap } from './render.ts';
import { textOf } from './storage-parser.ts';

const SIZE = /^[0-9]{1,5}$/;

/** A link to `href` around `children`; just the children when there is no safe URL or we are in a link already. */
export function linkTo(r: Renderer, href: string | null, children: readonly Task[]): void {
  if (href === null || r.inLink) r.push(children);
  else r.pushWrapped(`<a${attr('href', href)}>`, '</a>', children, { link: true });
}

/** An <img> for an already checked `src`. */
export function imgTag(src: string, alt: string, title: string, width: string, height: string): string {
  return (
    `<img${attr('src', src)}${attr('alt', alt)}${title ? attr('title', title) : ''}` +
    `${SIZE.test(width) ? attr('width', width) : ''}${SIZE.test(height) ? attr('height', height) : ''}>`
  );
}

const list =
  (ordered: boolean): Handler =>
  (el, r) => {
    const start = ordered && /^-?[0-9]{1,6}$/.test(el.attrs.start ?? '') ? Number(el.attrs.start) : 1;
    const name = ordered ? 'ol' : 'ul';
    const items: Task[] = [];
    let n = start;
    for (const child of el.children) {
      if (typeof child !== 'string' && child.name === 'li') {
        const marker = ordered ? `${n++}. ` : '- ';
        items.push(...wrap('<li>', '</li>', child.children, { block: true, text: marker }));
      } else items.push(child);
    }
    const attrs = start !== 1 ? attr('start', String(start)) : '';
    r.pushWrapped(`<${name}${attrs}>`, `</${name}>`, items, { block: true });
  };

/** A heading with Confluence's id, so `webui#id` opens its section; each one starts a section. */
const heading =
  (level: number): Handler =>
  (el, r) => {
    const title = textOf(el).replace(/\s+/g, ' ').trim();
    const id = title === '' || r.inLink ? '' : attr('id', r.heading(level, title));
    r.pushWrapped(`<h${level}${id}>`, `</h${level}>`, el.children, { block: true });
  };

export const HTML_HANDLERS: Record<string, Handler> = {
  ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [`h${n}`, heading(n)])),
  a: (el, r) =>
    linkTo(r, el.attrs.href === undefined ? null : safeUrl(el.attrs.href, r.urls.page, 'link'), el.children),
  img: (el, r) => {
    const src = el.attrs.src === undefined ? null : safeUrl(el.attrs.src, r.urls.page, 'image');
    if (src === null) return;
    const a = el.attrs;
    r.write({ html: imgTag(src, a.alt ?? '', a.title ?? '', a.width ?? '', a.height ?? '') });
  },
  br: (_el, r) => r.lineBreak('<br>'),
  hr: (_el, r) => r.write({ html: '<hr>', block: true }),
  time: (el, r) => {
    // Confluence writes dates as an empty <time datetime="…" />: show the date itself.
    const children: Task[] = el.children.length > 0 ? el.children : [el.attrs.datetime ?? ''];
    r.pushWrapped(`<time${allowedAttrs(el.attrs, TIME_ATTRS)}>`, '</time>', children);
  },
  ul: list(false),
  ol: list(true),
  pre: (el, r) => {
    // An HTML parser drops a newline right after <pre>: double it so the content survives exactly.
    const first = el.children[0];
    const open = typeof first === 'string' && first.charCodeAt(0) === 10 ? '<pre>\n' : '<pre>';
    r.pushWrapped(open, '</pre>', el.children, { block: true, pre: true });
  },
};
