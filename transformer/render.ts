// The walk from the parsed tree to HTML and plain text, done in one pass with an explicit work stack
// (no recursion, so 10,000-deep input cannot overflow the call stack). Element handlers push work;
// everything they write passes through sanitize.ts.
import { ALLOWED, BLOCKISH, DROP, allowedAttrs, escapeText } from './sanitize.ts';
import type { SiteUrls } from './site-urls.ts';
import type { Element, Node } from './storage-parser.ts';

/** Output nested deeper than this loses its tags (content kept): readers of the HTML parse recursively. */
export const MAX_DEPTH = 128;

/** A piece of output. `open`/`close` pairs bracket their content and track nesting. */
export interface Out {
  html: string;
  /** Plain text for this piece (not written as HTML: `html` carries its own, escaped). */
  text?: string;
  /** Starts a new line in the plain text. */
  block?: boolean;
  /** The matching close, set on opens: lets an open past MAX_DEPTH drop both tags. */
  close?: Out;
  /** +1 on opens, -1 on closes: output element depth, preformatted, link and raw-HTML scopes. */
  depth?: number;
  pre?: number;
  link?: number;
  raw?: number;
}

export type Task = Node | Out;

export interface Scope {
  block?: boolean;
  pre?: boolean;
  link?: boolean;
  raw?: boolean;
  /** Plain text written at the start (list markers, checkboxes). */
  text?: string;
}

const on = (flag: boolean | undefined, sign: number): number => (flag ? sign : 0);

function closeOf(close: string, scope: Scope): Out {
  const { block, pre, link, raw } = scope;
  return { html: close, block, depth: -1, pre: on(pre, -1), link: on(link, -1), raw: on(raw, -1) };
}

function openOf(open: string, end: Out, scope: Scope): Out {
  const { block, text, pre, link, raw } = scope;
  return {
    html: open,
    block,
    text,
    close: end,
    depth: 1,
    pre: on(pre, 1),
    link: on(link, 1),
    raw: on(raw, 1),
  };
}

/** `open`, the children, `close`: a flat list of work for Renderer.push. */
export function wrap(open: string, close: string, children: readonly Task[], scope: Scope = {}): Task[] {
  const end = closeOf(close, scope);
  return [openOf(open, end, scope), ...children, end];
}

/** Children without a wrapper; `block` makes them their own lines in the plain text. */
export function unwrap(children: readonly Task[], block: boolean): Task[] {
  return block ? [{ html: '', block: true }, ...children, { html: '', block: true }] : [...children];
}

const BLOCK: Scope = { block: true };
const INLINE: Scope = {};

export type Handler = (el: Element, r: Renderer) => void;

/** Where a heading starts in the plain text. */
interface Mark {
  at: number;
  level: number;
  title: string;
  anchor: string;
}

export interface RenderedSection {
  anchor: string;
  path: string[];
  text: string;
}

// HTML's ASCII whitespace is what a browser collapses: any run of it but a single space between words.
const COLLAPSIBLE = /[\t\n\f\r]| {2}/;
const WHITESPACE_RUNS = /[\t\n\f\r ]+/g;

/** Builds the plain text: whitespace collapsed as a browser would, one line per block. */
class PlainText {
  out = '';
  private lineStart = true;
  private space = false;

  inline(s: string): void {
    // Whitespace runs become one space (a regular expression scans far faster than a loop over
    // charCodeAt); a space at either end is pending, written only when more text follows on the line.
    const t = COLLAPSIBLE.test(s) ? s.replace(WHITESPACE_RUNS, ' ') : s;
    if (t === '') return;
    const lead = t.charCodeAt(0) === 32 ? 1 : 0;
    const trail = t.length > lead && t.charCodeAt(t.length - 1) === 32 ? 1 : 0;
    if (lead) this.space = true;
    if (t.length > lead + trail) {
      if (this.space && !this.lineStart) this.out += ' ';
      this.out += lead + trail === 0 ? t : t.slice(lead, t.length - trail);
      this.space = false;
      this.lineStart = false;
    }
    if (trail) this.space = true;
  }

  verbatim(s: string): void {
    if (s === '') return;
    if (this.space && !this.lineStart) this.out += ' ';
    this.out += s;
    this.lineStart = s.charCodeAt(s.length - 1) === 10;
    this.space = false;
  }

  lineBreak(): void {
    this.out += '\n';
    this.lineStart = true;
    this.space = false;
  }

  block(): void {
    if (!this.lineStart) this.lineBreak();
    this.space = false;
  }
}

export class Renderer {
  html = '';
  readonly urls: SiteUrls;
  private readonly handlers: ReadonlyMap<string, Handler>;
  private readonly plain = new PlainText();
  private readonly tasks: Task[] = [];
  private depth = 0;
  private readonly marks: Mark[] = [];
  private readonly anchors = new Map<string, number>();
  private pre = 0;
  private links = 0;
  private raws = 0;

  constructor(urls: SiteUrls, handlers: ReadonlyMap<string, Handler>) {
    this.urls = urls;
    this.handlers = handlers;
  }

  get text(): string {
    const out = this.plain.out;
    let end = out.length;
    while (end > 0 && out.charCodeAt(end - 1) === 10) end--;
    return out.slice(0, end);
  }

  /**
   * A heading starts here: returns its id, Confluence's (a repeated one gets `.1`, `.2`, ... as
   * Confluence numbers them), and marks where its section begins in the plain text.
   */
  heading(level: number, title: string): string {
    const base = this.urls.anchorId(title);
    const seen = this.anchors.get(base) ?? 0;
    this.anchors.set(base, seen + 1);
    const anchor = seen === 0 ? base : `${base}.${seen}`;
    this.plain.block();
    this.marks.push({ at: this.plain.out.length, level, title, anchor });
    return anchor;
  }

  /** The plain text split at the headings, each part with the path of headings above it. */
  get sections(): RenderedSection[] {
    const text = this.text;
    const out: RenderedSection[] = [];
    const path: Mark[] = [];
    const first = this.marks[0]?.at ?? text.length;
    if (text.slice(0, first).trim()) out.push({ anchor: '', path: [], text: text.slice(0, first).trim() });
    this.marks.forEach((m, i) => {
      while (path.length > 0 && path.at(-1)!.level >= m.level) path.pop();
      path.push(m);
      const end = this.marks[i + 1]?.at ?? text.length;
      out.push({ anchor: m.anchor, path: path.map((p) => p.title), text: text.slice(m.at, end).trim() });
    });
    return out;
  }

  /** Inside a link: links nested in it are unwrapped (a nested <a> is re-parented by HTML parsers). */
  get inLink(): boolean {
    return this.links > 0;
  }

  /** Inside content parsed from a raw-HTML macro: a nested one is dropped, bounding the re-parsing. */
  get inRawHtml(): boolean {
    return this.raws > 0;
  }

  render(nodes: readonly Node[]): void {
    this.push(nodes);
    const tasks = this.tasks;
    while (tasks.length > 0) {
      const task = tasks.pop() as Task;
      if (typeof task === 'string') this.writeText(task);
      else if ('children' in task) this.element(task);
      else this.write(task);
    }
  }

  /** Queues work to run next, in order. */
  push(items: readonly Task[]): void {
    for (let i = items.length - 1; i >= 0; i--) this.tasks.push(items[i] as Task);
  }

  /** Same as push(wrap(...)), without building the list: the path every plain element takes. */
  pushWrapped(open: string, close: string, children: readonly Task[], scope: Scope = INLINE): void {
    const end = closeOf(close, scope);
    this.tasks.push(end);
    for (let i = children.length - 1; i >= 0; i--) this.tasks.push(children[i] as Task);
    this.tasks.push(openOf(open, end, scope));
  }

  /** Writes output now (handlers run in document order, so this lands where the element was). */
  write(o: Out): void {
    if (o.block) this.plain.block();
    if (o.text) this.plain.inline(o.text);
    if (o.close) {
      if (this.depth >= MAX_DEPTH) {
        o.close.html = '';
        o.close.depth = 0;
      } else {
        this.html += o.html;
        this.depth++;
      }
    } else {
      this.html += o.html;
      if (o.depth) this.depth += o.depth;
    }
    if (o.pre) this.pre += o.pre;
    if (o.link) this.links += o.link;
    if (o.raw) this.raws += o.raw;
  }

  lineBreak(html: string): void {
    this.html += html;
    this.plain.lineBreak();
  }

  private writeText(s: string): void {
    this.html += escapeText(s);
    if (this.pre > 0) this.plain.verbatim(s);
    else this.plain.inline(s);
  }

  private element(el: Element): void {
    const handler = this.handlers.get(el.name);
    if (handler) return handler(el, this);
    if (DROP.has(el.name)) return;
    const allowed = ALLOWED.get(el.name);
    if (allowed) {
      const attrs = allowedAttrs(el.attrs, allowed.attrs);
      const open = attrs === '' ? allowed.open : `<${allowed.name}${attrs}>`;
      this.pushWrapped(open, allowed.close, el.children, allowed.block ? BLOCK : INLINE);
    } else if (!el.name.startsWith('ri:')) {
      // Unknown elements keep their content; ri: resource identifiers mean nothing outside links and images.
      this.push(unwrap(el.children, BLOCKISH.has(el.name)));
    }
  }
}
