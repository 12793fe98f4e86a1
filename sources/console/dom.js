// @ts-check
// Building the DOM without innerHTML: every value from the API (page titles, messages) becomes text,
// so nothing a Confluence site or a caller typed can run as markup in the console.

/**
 * @typedef {string | number | Node | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Attrs
 */

/**
 * An element with attributes (`on*` keys add listeners; `false`/`null` leave an attribute out) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Element} el
 * @param {(Child | Child[])[]} children
 */
export function append(el, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'object' ? child : String(child));
  }
}

/**
 * Replaces an element's content.
 * @param {Element} el
 * @param {...(Child | Child[])} children
 */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** An SVG element (the run chart). @param {string} tag @param {Record<string, string | number>} attrs @param {...Node} children */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

/**
 * A link out of the console, only when the address is http(s): a `javascript:` URL from anywhere stays text.
 * @param {string | null | undefined} href
 * @param {Child} text
 */
export function externalLink(href, text) {
  if (!href || !/^https?:\/\//i.test(href)) return h('span', {}, text);
  return h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, text);
}

/**
 * A message where a person sees and a screen reader announces it; `hint` says what to do.
 * @param {{ message: string, hint?: string | null }} err
 */
export function errorBox(err) {
  return h(
    'div',
    { class: 'error', role: 'alert', tabindex: -1 },
    h('p', {}, h('strong', {}, err.message)),
    err.hint ? h('p', {}, err.hint) : null,
  );
}
