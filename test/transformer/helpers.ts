// Converts with a default page context and reads the HTML back with parse5, as a browser would.
import { parseFragment } from 'parse5';
import { convertPage, type Converted, type PageContext } from '../../transformer/convert.ts';

export const CTX: PageContext = {
  baseUrl: 'https://acme.atlassian.net/wiki',
  spaceKey: 'ENG',
  pageId: '1000',
  title: 'Test Page',
};

export interface Found {
  tag: string;
  attrs: Record<string, string>;
  text: string;
}

interface P5Node {
  nodeName: string;
  tagName?: string;
  value?: string;
  attrs?: { name: string; value: string }[];
  childNodes?: P5Node[];
  content?: P5Node;
}

function kids(n: P5Node): P5Node[] {
  return (n.content ?? n).childNodes ?? [];
}

function textOf(n: P5Node): string {
  let out = '';
  const stack = [n];
  while (stack.length > 0) {
    const cur = stack.pop() as P5Node;
    if (cur.nodeName === '#text') out += cur.value;
    stack.push(...kids(cur).slice().reverse());
  }
  return out;
}

/** Every element of the HTML, in document order. */
export function elements(html: string): Found[] {
  const out: Found[] = [];
  const stack: P5Node[] = [parseFragment(html) as unknown as P5Node];
  while (stack.length > 0) {
    const n = stack.pop() as P5Node;
    if (n.tagName) {
      out.push({
        tag: n.tagName,
        attrs: Object.fromEntries((n.attrs ?? []).map((a) => [a.name, a.value])),
        text: textOf(n),
      });
    }
    stack.push(...kids(n).slice().reverse());
  }
  return out;
}

export function find(html: string, tag: string): Found[] {
  return elements(html).filter((e) => e.tag === tag);
}

/** Visible text of the HTML, whitespace folded. */
export function visible(html: string): string {
  return textOf(parseFragment(html) as unknown as P5Node)
    .replace(/[\s\u00a0]+/g, ' ')
    .trim();
}

export function convert(storage: string, ctx: Partial<PageContext> = {}): Converted {
  return convertPage(storage, { ...CTX, ...ctx });
}

const UNSAFE_TAGS = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'form',
  'svg',
  'math',
  'frame',
  'base',
  'meta',
  'link',
]);
const URL_ATTRS = new Set([
  'href',
  'src',
  'action',
  'formaction',
  'xlink:href',
  'background',
  'poster',
  'srcset',
  'data',
]);

/** The reasons `html` would be unsafe in a browser; empty when it is safe. */
export function unsafety(html: string): string[] {
  const problems: string[] = [];
  for (const e of elements(html)) {
    if (UNSAFE_TAGS.has(e.tag) || e.tag.includes(':')) problems.push(`<${e.tag}>`);
    for (const [name, value] of Object.entries(e.attrs)) {
      if (name.startsWith('on') || name === 'style' || name.includes(':'))
        problems.push(`${name} on <${e.tag}>`);
      if (!URL_ATTRS.has(name)) continue;
      // eslint-disable-next-line no-control-regex -- browsers ignore these inside a URL scheme
      const v = value.replace(/[\u0000-\u0020\u007f-\u009f]/g, '').toLowerCase();
      const rasterImage = e.tag === 'img' && name === 'src' && /^data:image\/(png|gif|jpeg|webp);/.test(v);
      if (!/^(https?:|mailto:|tel:)/.test(v) && !rasterImage)
        problems.push(`${name}="${value}" on <${e.tag}>`);
    }
  }
  return problems;
}
