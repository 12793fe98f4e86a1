// @ts-check
// Verify: the pages the AI sees for a source (searchable, each linked to the page in Confluence), and
// what a customer-facing and an agent-facing query would return side by side.
import { api } from '../api.js';
import { errorBox, externalLink, h, replace } from '../dom.js';
import { count, iso, relative } from '../format.js';

/**
 * @typedef {{ pageId: string, title: string, spaceKey: string, spaceName: string, visibility: 'public' | 'internal',
 *   url: string, updatedAt: string | null }} PageRow
 * @typedef {{ pageId: string, title: string, url: string, visibility: string, snippet?: string }} Hit
 */

/** @param {string} visibility */
export function visibilityBadge(visibility) {
  return h(
    'span',
    { class: `badge vis-${visibility}` },
    visibility === 'internal' ? 'internal (agents only)' : visibility,
  );
}

/** @param {HTMLElement} main @param {string[]} params */
export function renderVerify(main, [id]) {
  const sourceId = /** @type {string} */ (id);
  const pages = h('div', { 'aria-live': 'polite' });
  const filter = h('input', { id: 'pages-q', type: 'search', name: 'q', 'aria-describedby': 'pages-q-help' });
  const ask = h('input', { id: 'ask-q', type: 'search', name: 'q', required: true });
  const answers = h('div', { class: 'answers', 'aria-live': 'polite' });

  /** @type {PageRow[]} */
  let shown = [];
  const load = async (/** @type {boolean} */ more) => {
    if (!more) shown = [];
    try {
      const r = await api.listPages(sourceId, { q: filter.value.trim(), from: shown.length, size: 50 });
      shown = shown.concat(r.pages);
      replace(
        pages,
        pageTable(shown, r.total),
        shown.length < r.total && r.pages.length
          ? h('button', { type: 'button', onclick: () => load(true) }, 'More pages')
          : null,
      );
    } catch (err) {
      replace(pages, errorBox(/** @type {any} */ (err)));
    }
  };

  replace(
    main,
    h(
      'p',
      { class: 'crumbs' },
      h('a', { href: '#/sources' }, 'Data sources'),
      ' / ',
      h('a', { href: `#/sources/${encodeURIComponent(sourceId)}` }, sourceId),
    ),
    h('h1', {}, 'Verify pages'),
    h(
      'form',
      {
        class: 'card',
        role: 'search',
        'aria-labelledby': 'pages-title',
        onsubmit: (/** @type {Event} */ e) => {
          e.preventDefault();
          void load(false);
        },
      },
      h('h2', { id: 'pages-title' }, 'Pages the AI sees'),
      h('label', { for: 'pages-q' }, 'Find pages'),
      h('div', { class: 'inline' }, filter, h('button', { type: 'submit' }, 'Find')),
      h(
        'p',
        { id: 'pages-q-help', class: 'help' },
        'Words from a title or the text; empty lists every page of the live index.',
      ),
    ),
    pages,
    h(
      'form',
      {
        class: 'card',
        role: 'search',
        'aria-labelledby': 'ask-title',
        onsubmit: async (/** @type {Event} */ e) => {
          e.preventDefault();
          replace(answers, h('p', {}, 'Searching…'));
          try {
            const [customer, agent] = await Promise.all([
              api.search(sourceId, ask.value.trim(), 'customer'),
              api.search(sourceId, ask.value.trim(), 'agent'),
            ]);
            replace(
              answers,
              hits('Customer-facing (public pages only)', 'customer', customer.results),
              hits('Agent-facing (internal and public)', 'agent', agent.results),
            );
          } catch (err) {
            replace(answers, errorBox(/** @type {any} */ (err)));
          }
        },
      },
      h('h2', { id: 'ask-title' }, 'What would the AI find?'),
      h('label', { for: 'ask-q' }, 'A question or keywords'),
      h('div', { class: 'inline' }, ask, h('button', { type: 'submit' }, 'Search')),
    ),
    answers,
  );
  void load(false);
}

/** @param {PageRow[]} rows @param {number | undefined} total */
function pageTable(rows, total) {
  if (!rows.length) return h('p', {}, 'No page matches.');
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Pages' },
    h('p', { class: 'meta' }, `${count(rows.length)} of ${count(total ?? rows.length)} pages shown`),
    h(
      'table',
      { class: 'pages' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Title', 'Space', 'Visibility', 'Updated'].map((t) => h('th', { scope: 'col' }, t)),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((p) =>
          h(
            'tr',
            { 'data-page': p.pageId },
            h('td', {}, externalLink(p.url, p.title)),
            h('td', {}, p.spaceName ? `${p.spaceName} ` : '', h('span', { class: 'muted' }, p.spaceKey)),
            h('td', {}, visibilityBadge(p.visibility)),
            h('td', {}, h('time', { datetime: iso(p.updatedAt) }, relative(p.updatedAt))),
          ),
        ),
      ),
    ),
  );
}

/** @param {string} title @param {string} audience @param {Hit[]} list */
function hits(title, audience, list) {
  return h(
    'section',
    { class: 'card', 'data-audience': audience, 'aria-label': title },
    h('h3', {}, title),
    list.length
      ? h(
          'ol',
          {},
          list.map((hit) =>
            h(
              'li',
              {},
              externalLink(hit.url, hit.title),
              ' ',
              visibilityBadge(hit.visibility),
              hit.snippet ? h('p', { class: 'muted' }, hit.snippet) : null,
            ),
          ),
        )
      : h('p', {}, 'Nothing found.'),
  );
}
