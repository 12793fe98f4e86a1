// @ts-check
// Data sources: every connected site with its state at a glance, refreshed every two seconds so a
// pull's bar, rate and ETA move while you watch.
import { api } from '../api.js';
import { errorBox, h, replace } from '../dom.js';
import { scheduleText } from '../format.js';
import { poll } from '../poll.js';
import { badge, nameOf, stateDetails, stateOf } from './state.js';

/** A message another view left for the list (e.g. what a delete removed). */
let notice = '';
/** @param {string} text */
export function leaveNotice(text) {
  notice = text;
}

/** @param {HTMLElement} main */
export function renderSources(main) {
  const list = h('ul', { class: 'sources', 'aria-live': 'polite', 'aria-busy': 'true' });
  const flash = notice ? h('p', { class: 'notice', role: 'status' }, notice) : null;
  notice = '';
  replace(
    main,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Data sources'),
      h('a', { class: 'button', href: '#/add' }, 'Add source'),
    ),
    flash,
    list,
  );
  const refresh = async () => {
    try {
      /** @type {import('./state.js').Source[]} */
      const sources = await api.listSources();
      list.setAttribute('aria-busy', 'false');
      if (!sources.length) {
        replace(
          list,
          h(
            'li',
            { class: 'card' },
            'No source yet. ',
            h('a', { href: '#/add' }, 'Add a Confluence site'),
            ' to start.',
          ),
        );
        return;
      }
      replace(
        list,
        sources.map((s) => card(s, refresh)),
      );
    } catch (err) {
      replace(list, h('li', {}, errorBox(/** @type {any} */ (err))));
    }
  };
  return poll(refresh, 2000);
}

/** @param {import('./state.js').Source} s @param {() => void} changed */
function card(s, changed) {
  const state = stateOf(s);
  return h(
    'li',
    { class: `card source state-${state}`, 'data-source': s.id },
    h(
      'div',
      { class: 'title-row' },
      h('h2', {}, h('a', { href: `#/sources/${encodeURIComponent(s.id)}` }, nameOf(s))),
      badge(state),
    ),
    stateDetails(s, changed),
    h(
      'p',
      { class: 'meta' },
      `Confluence · ${scheduleText(s.schedule)} · `,
      h('a', { href: `#/sources/${encodeURIComponent(s.id)}/verify` }, 'Verify pages'),
    ),
  );
}
