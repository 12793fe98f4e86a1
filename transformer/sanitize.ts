// The allow-list: which HTML elements and attributes from the source survive, how values are
// checked, and how everything is escaped. The renderer writes only what this file lets through,
// so safety does not depend on how the input was (mis)parsed.

/** Source elements dropped with everything inside them. */
export const DROP = new Set([
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'svg',
  'math',
  'template',
  'noscript',
  'noembed',
  'noframes',
  'xmp',
  'plaintext',
  'title',
  'head',
  'meta',
  'link',
  'base',
  'param',
  'textarea',
  'select',
  'option',
  'button',
  'input',
  'canvas',
  'audio',
  'video',
  'source',
  'track',
  'map',
  'area',
  'colgroup',
  'col',
]);

type Check = (value: string) => boolean;

const digits: Check = (v) => /^[0-9]{1,4}$/.test(v);
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v.toLowerCase());
const dir = oneOf('ltr', 'rtl', 'auto');
const datetime: Check = (v) => /^[0-9T:.+\-Z ]{1,40}$/.test(v);
const plain: Check = () => true;

export interface Allowed {
  /** A block starts a new line in the plain text. */
  block: boolean;
  attrs: Record<string, Check>;
  /** The element written: its own name, or a modern one for old presentational tags. */
  name: string;
  /** Its tags without attributes, built once. */
  open: string;
  close: string;
}

type Spec = Pick<Allowed, 'block' | 'attrs'> & { as?: string };

const inline = (attrs: Record<string, Check> = {}, as?: string): Spec => ({ block: false, attrs, as });
const block = (attrs: Record<string, Check> = {}): Spec => ({ block: true, attrs: { dir, ...attrs } });
const cell = block({ colspan: digits, rowspan: digits });

/**
 * Plain HTML elements kept as themselves (a, img, br, hr, time, ul, ol and pre have
 * their own handlers in html-elements.ts).
 * Anything not here and not in DROP is unwrapped: its content stays, the tag goes.
 */
const SPECS: Record<string, Spec> = {
  p: block(),
  div: block(),
  h1: block(),
  h2: block(),
  h3: block(),
  h4: block(),
  h5: block(),
  h6: block(),
  blockquote: block(),
  li: block(),
  dl: block(),
  dt: block(),
  dd: block(),
  table: block(),
  caption: block(),
  thead: block(),
  tbody: block(),
  tfoot: block(),
  tr: block(),
  th: { ...cell, attrs: { ...cell.attrs, scope: oneOf('row', 'col', 'rowgroup', 'colgroup') } },
  td: cell,
  figure: block(),
  figcaption: block(),
  details: block(),
  summary: block(),
  strong: inline(),
  b: inline({}, 'strong'),
  em: inline(),
  i: inline({}, 'em'),
  u: inline(),
  s: inline(),
  strike: inline({}, 's'),
  del: inline(),
  ins: inline(),
  sub: inline(),
  sup: inline(),
  code: inline(),
  tt: inline({}, 'code'),
  kbd: inline(),
  samp: inline(),
  var: inline(),
  small: inline(),
  mark: inline(),
  cite: inline(),
  q: inline(),
  dfn: inline(),
  abbr: inline({ title: plain }),
  span: inline({ dir }),
};

export const ALLOWED = new Map<string, Allowed>(
  Object.entries(SPECS).map(([tag, { block, attrs, as }]) => {
    const name = as ?? tag;
    return [tag, { block, attrs, name, open: `<${name}>`, close: `</${name}>` }];
  }),
);

export const TIME_ATTRS = { datetime };

/** Source elements that are unwrapped but still end a line in the plain text. */
export const BLOCKISH = new Set([
  'section',
  'article',
  'aside',
  'header',
  'footer',
  'main',
  'nav',
  'address',
  'center',
  'form',
  'fieldset',
  'legend',
  'body',
  'html',
]);

/** Serialises the attributes of `attrs` that `allowed` lets through (values checked, then escaped). */
export function allowedAttrs(attrs: Record<string, string>, allowed: Record<string, Check>): string {
  let out = '';
  for (const name in allowed) {
    const value = attrs[name];
    if (value !== undefined && (allowed[name] as Check)(value)) out += attr(name, value);
  }
  return out;
}

export function attr(name: string, value: string): string {
  return ` ${name}="${escapeAttr(value)}"`;
}

export function escapeText(s: string): string {
  // \r is written as a character reference: an HTML parser would otherwise turn it into \n.
  return /[&<>\r]/.test(s)
    ? s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'))
    : s;
}

export function escapeAttr(s: string): string {
  return /[&"<>\r]/.test(s)
    ? s.replace(/[&"<>\r]/g, (c) =>
        c === '&' ? '&amp;' : c === '"' ? '&quot;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;',
      )
    : s;
}

const LINK_SCHEMES = new Set(['http:', 'https:', 'mailto:', 'tel:']);
const IMAGE_SCHEMES = new Set(['http:', 'https:']);
const RASTER_DATA = /^data:image\/(png|jpeg|gif|webp);base64,/i;

/**
 * An absolute, safe URL for `raw`, or null. Relative URLs resolve against the page's own URL, as a
 * browser showing the page would. The scheme is read from the WHATWG parse, so entity-encoded,
 * mixed-case or whitespace-split `javascript:` cannot slip through.
 */
export function safeUrl(raw: string, pageUrl: string, kind: 'link' | 'image'): string | null {
  const trimmed = raw.trim();
  // Control characters and U+FFFD (a decoded &#0;) only appear in URLs built to confuse parsers.
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (trimmed === '' || /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(trimmed)) return null;
  let url: URL;
  try {
    url = new URL(trimmed, pageUrl);
  } catch {
    return null;
  }
  if (url.protocol === 'data:') return kind === 'image' && RASTER_DATA.test(url.href) ? url.href : null;
  return (kind === 'link' ? LINK_SCHEMES : IMAGE_SCHEMES).has(url.protocol) ? url.href : null;
}
