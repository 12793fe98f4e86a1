// @ts-check
// One source: its state (refreshed while shown), the actions (run now, pause/resume, rollback,
// delete), schedule, scope and credentials, and the history of its runs.
import { api } from '../api.js';
import { errorBox, h, replace } from '../dom.js';
import { scheduleText } from '../format.js';
import { poll } from '../poll.js';
import { renderRuns } from './runs.js';
import { renderSettings } from './settings.js';
import { badge, nameOf, stateDetails, stateOf } from './state.js';
import { leaveNotice } from './sources.js';

/** @param {HTMLElement} main @param {string[]} params */
export function renderSource(main, [id]) {
  const sourceId = /** @type {string} */ (id);
  const heading = h('h1', {}, sourceId);
  const summary = h('div', { 'aria-live': 'polite' });
  const actions = h('div', { class: 'actions' });
  const result = h('div', { 'aria-live': 'polite' });
  const settings = h('div');
  const runs = h('section', { 'aria-labelledby': 'runs-title' });
  replace(
    main,
    h('p', { class: 'crumbs' }, h('a', { href: '#/sources' }, 'Data sources')),
    h(
      'div',
      { class: 'title-row' },
      heading,
      h('a', { class: 'button', href: `#/sources/${encodeURIComponent(sourceId)}/verify` }, 'Verify pages'),
    ),
    summary,
    actions,
    result,
    settings,
    runs,
  );

  /** @type {string} */
  let drawnSettings = '';
  const refresh = async () => {
    let s;
    try {
      s = await api.getSource(sourceId);
    } catch (err) {
      replace(summary, errorBox(/** @type {any} */ (err)));
      return;
    }
    const state = stateOf(s);
    replace(heading, nameOf(s), ' ', badge(state));
    replace(
      summary,
      stateDetails(s, refresh),
      h('p', { class: 'meta' }, `Schedule: ${scheduleText(s.schedule)}`),
    );
    drawActions(s);
    renderRuns(runs, s, refresh);
    // The forms are drawn again only when the stored settings change, never under the user's typing.
    const key = settingsKey(s);
    if (key !== drawnSettings) {
      drawnSettings = key;
      // What a form just saved is what it shows: no redraw (its "Saved." stays), only a fresh state.
      renderSettings(settings, s, (saved) => {
        drawnSettings = settingsKey(saved);
        void refresh();
      });
    }
  };

  /** @param {string} label @param {() => Promise<unknown>} act @param {(r: any) => string} said */
  const button = (label, act, said) =>
    h(
      'button',
      {
        type: 'button',
        onclick: async (/** @type {Event} */ e) => {
          const b = /** @type {HTMLButtonElement} */ (e.currentTarget);
          b.disabled = true;
          try {
            replace(result, h('p', { class: 'notice', role: 'status' }, said(await act())));
            await refresh();
          } catch (err) {
            replace(result, errorBox(/** @type {any} */ (err)));
          } finally {
            b.disabled = false;
          }
        },
      },
      label,
    );

  /** @param {import('./state.js').Source} s */
  const drawActions = (s) => {
    const paused = Boolean(s.schedule?.paused);
    replace(
      actions,
      button(
        'Run now',
        () => api.runNow(sourceId),
        (r) =>
          r?.started === false ? 'A pull is already running; it was not started twice.' : 'Pull started.',
      ),
      button(
        'Full run',
        () => api.runNow(sourceId, true),
        () => 'Full pull started: every page body is fetched again.',
      ),
      paused
        ? button(
            'Resume',
            () => api.resume(sourceId),
            () => 'Schedule resumed.',
          )
        : button(
            'Pause',
            () => api.pause(sourceId),
            () => 'Paused: no pull starts until you resume.',
          ),
      s.live
        ? button(
            'Roll back',
            () => api.rollback(sourceId),
            (r) => `Rolled back: run ${r.to.runId} is live again (run ${r.from.runId} is kept).`,
          )
        : null,
      h('button', { type: 'button', class: 'danger', onclick: () => confirmDelete(s) }, 'Delete source'),
    );
  };

  /** @param {import('./state.js').Source} s */
  const confirmDelete = (s) => {
    const name = nameOf(s);
    const dialog = h(
      'dialog',
      { 'aria-labelledby': 'delete-title', 'aria-describedby': 'delete-what' },
      h('h2', { id: 'delete-title' }, `Delete ${name}?`),
      h(
        'div',
        { id: 'delete-what' },
        h('p', {}, 'This removes:'),
        h(
          'ul',
          {},
          h('li', {}, 'its schedule: no more pulls;'),
          h(
            'li',
            {},
            `the pages the AI sees for it (${s.live ? `${s.live.pages.public} public, ${s.live.pages.internal} internal` : 'none live'}): its search alias and every index version;`,
          ),
          h('li', {}, 'the stored email and API token.'),
        ),
        h('p', {}, 'Nothing in Confluence is touched. To sync the site again later, add it again.'),
      ),
      h(
        'form',
        { method: 'dialog', class: 'actions' },
        h('button', { value: 'cancel', autofocus: true }, 'Cancel'),
        h('button', { value: 'delete', class: 'danger' }, 'Delete source'),
      ),
    );
    dialog.addEventListener('close', async () => {
      dialog.remove();
      if (dialog.returnValue !== 'delete') return;
      // A running pull is stopped first, which can take some seconds.
      replace(result, h('p', { role: 'status' }, `Deleting ${name}…`));
      try {
        const removed = await api.deleteSource(sourceId);
        leaveNotice(`Deleted ${name}. ${describeRemoved(removed)}`);
        location.hash = '#/sources';
      } catch (err) {
        replace(result, errorBox(/** @type {any} */ (err)));
      }
    });
    document.body.append(dialog);
    dialog.showModal();
  };

  return poll(refresh, 2000);
}

/** What the settings forms show of a source. @param {import('./state.js').Source} s */
const settingsKey = (s) => JSON.stringify([s.schedule, s.scope, s.email]);

/** What the service said it removed. @param {{ alias: string, indices: string[], token: boolean }} r */
function describeRemoved(r) {
  const parts = [`the alias ${r.alias}`, `${r.indices.length} index version(s)`];
  if (r.token) parts.push('the stored token');
  return `Removed ${parts.join(', ')}.`;
}
