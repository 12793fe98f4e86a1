// Storage format → a small element tree.
//
// htmlparser2's Tokenizer in HTML mode gives us HTML's named-entity table (&nbsp; &mdash; &rarr; …,
// which XML parsers reject), raw-text <script>/<style>, CDATA sections and `/>`. The tree is built
// here rather than by htmlparser2's Parser because storage format is XHTML: nesting must follow the
// tags exactly (no HTML implied end tags), and a stray closing tag must cost O(1) — the Parser
// searches its whole stack for each one, which is quadratic on hostile input.
//
// Entities are decoded here, once per text run or attribute value that holds an `&`, rather than by the
// Tokenizer: with decodeEntities off it skips text to the next `<` instead of stepping its state machine
// through every character. Same decoder (entities), same modes (text, attribute), same output.
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import { Tokenizer } from 'htmlparser2';

export interface Element {
  name: string;
  /** Lower-cased names, decoded values; the first occurrence of a duplicate wins, as in HTML. */
  attrs: Record<string, string>;
  children: Node[];
}
/** A string child is decoded text (CDATA included). */
export type Node = Element | string;

// Always empty, whether or not the source closes them: raw HTML (the html macro) writes `<br>`.
const VOID = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/** Raw-text elements: the tokenizer gives their content as is, and HTML does not decode it. */
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

/** RCDATA elements: HTML decodes their references, htmlparser2 with quirks of its own (none right after `<`). */
const RCDATA = new Set(['title', 'textarea']);

/** Decodes the text of a <title> or <textarea> as htmlparser2 does: by its own tokenizer (rare, hostile input). */
function decodeRcdata(name: string, raw: string): string {
  const src = `<${name}>${raw}`;
  let out = '';
  const none = () => {};
  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: true, recognizeSelfClosing: true },
    {
      ontext: (start, end) => (out += src.slice(start, end)),
      ontextentity: (cp) => (out += String.fromCodePoint(cp)),
      ...{ oncdata: none, onopentagname: none, onattribname: none, onattribdata: none },
      ...{ onattribentity: none, onattribend: none, onopentagend: none, onselfclosingtag: none },
      ...{ onclosetag: none, oncomment: none, ondeclaration: none, onprocessinginstruction: none },
      onend: none,
    },
  );
  tokenizer.write(src);
  tokenizer.end();
  return out;
}

/** Shared by every element without attributes: most have none, and an object each is garbage. */
const NO_ATTRS: Record<string, string> = Object.freeze({});

export function element(name: string, children: Node[] = []): Element {
  return { name, attrs: NO_ATTRS, children };
}

/** Parses storage format (or raw HTML); never throws on malformed input. Returns a root holding the top-level nodes. */
export function parseStorage(src: string): Element {
  const root = element('#root');
  const stack: Element[] = [root];
  // How many elements of each name are open, so a closer with no opener is rejected without a stack scan.
  const open = new Map<string, number>();
  let text = '';
  let tag: Element = root;
  let attrName = '';
  let attrValue = '';

  const flushText = (): void => {
    if (text !== '') {
      (stack[stack.length - 1] as Element).children.push(text);
      text = '';
    }
  };
  const startTag = (selfClosing: boolean): void => {
    (stack[stack.length - 1] as Element).children.push(tag);
    if (selfClosing || VOID.has(tag.name)) return;
    stack.push(tag);
    open.set(tag.name, (open.get(tag.name) ?? 0) + 1);
  };
  const endTag = (name: string): void => {
    if (!open.get(name)) return;
    for (;;) {
      const top = stack.pop() as Element;
      open.set(top.name, (open.get(top.name) as number) - 1);
      if (top.name === name) return;
    }
  };

  const tokenizer = new Tokenizer(
    { xmlMode: false, decodeEntities: false, recognizeSelfClosing: true },
    {
      ontext: (start, end) => {
        const raw = src.slice(start, end);
        const parent = (stack[stack.length - 1] as Element).name;
        if (!raw.includes('&') || RAW_TEXT.has(parent)) text += raw;
        else text += RCDATA.has(parent) ? decodeRcdata(parent, raw) : decodeHTML(raw);
      },
      ontextentity: () => {},
      oncdata: (start, end, offset) => {
        text += src.slice(start, end - offset);
      },
      onopentagname: (start, end) => {
        flushText();
        tag = element(src.slice(start, end).toLowerCase());
      },
      onattribname: (start, end) => {
        attrName = src.slice(start, end).toLowerCase();
        attrValue = '';
      },
      onattribdata: (start, end) => {
        attrValue += src.slice(start, end);
      },
      onattribentity: () => {},
      onattribend: () => {
        if (tag.attrs === NO_ATTRS) tag.attrs = {};
        if (!Object.hasOwn(tag.attrs, attrName))
          tag.attrs[attrName] = attrValue.includes('&') ? decodeHTMLAttribute(attrValue) : attrValue;
      },
      onopentagend: () => startTag(false),
      onselfclosingtag: () => startTag(true),
      onclosetag: (start, end) => {
        flushText();
        endTag(src.slice(start, end).toLowerCase());
      },
      oncomment: (start, end) => {
        // HTML mode turns a CDATA section left open at the end into a comment; in XHTML it is content.
        if (end === src.length && src.startsWith('[CDATA[', start)) text += src.slice(start + 7, end);
      },
      ondeclaration: () => {},
      onprocessinginstruction: () => {},
      onend: flushText,
    },
  );
  tokenizer.write(src);
  tokenizer.end();
  return root;
}

/** The text content of a subtree, without recursion. */
export function textOf(el: Element): string {
  let out = '';
  const stack: Node[] = [el];
  while (stack.length > 0) {
    const n = stack.pop() as Node;
    if (typeof n === 'string') out += n;
    else for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as Node);
  }
  return out;
}
