// @ts-check
// A source's state at a glance, the same in the list and on the source's page: live (page counts and
// since when), pulling (a bar, rate and ETA), held (both counts and Release), failed (message and
// what to do), paused or new.
import { api } from '../api.js';
import { errorBox, h } from '../dom.js';
import { count, duration, iso, relative } from '../format.js';

/**
 * @typedef {{ runId: string, spacesDone?: number, spacesTotal?: number, pages?: number,
 *   pagesPerSecond?: number, etaSeconds?: number | null, retries?: number, rateLimited?: number,
 *   startedAt?: number | string }} LiveRun
 * @typedef {{ runId: string, status: string, reason?: string | null, hint?: string | null,
 *   docs?: number | null, liveDocs?: number | null, publicPages?: number | null, internalPages?: number | null,
 *   startedAt?: number | string | null, endedAt?: number | string | null, flippedAt?: number | string | null,
 *   failures?: number | null }} RunSummary
 * @typedef {{ id: string, domain?: string, baseUrl?: string, email?: string,
 *   schedule?: { every?: string, paused?: boolean },
 *   scope?: { include: string[], exclude: string[], archived: boolean },
 *   pages?: { public: number, internal: number } | null, liveSince?: number | string | null,
 *   liveRun?: LiveRun | null, lastRuns?: RunSummary[], error?: { message: string, hint?: string | null } | null }} Source
 */

/** What the source is doing, from what the API reported. Pure. @param {Source} s */
export function stateOf(s) {
  if (s.liveRun) return 'pulling';
  const last = s.lastRuns?.[0];
  if (last?.status === 'held') return 'held';
  if (last?.status === 'failed' || s.error) return 'failed';
  if (s.schedule?.paused) return 'paused';
  if (s.pages) return 'live';
  return 'new';
}

/** @param {string} state */
export function badge(state) {
  return h('span', { class: `badge state-${state}` }, state);
}

/**
 * @param {Source} s
 * @param {() => void} changed  called after Release so the view reloads
 */
export function stateDetails(s, changed) {
  const state = stateOf(s);
  const live = s.pages
    ? h(
        'p',
        { class: 'counts' },
        h('span', {}, `${count(s.pages.public)} public`),
        ' · ',
        h('span', {}, `${count(s.pages.internal)} internal`),
        ' · live since ',
        h('time', { datetime: iso(s.liveSince) }, relative(s.liveSince)),
      )
    : null;
  switch (state) {
    case 'pulling':
      return h('div', {}, progress(/** @type {LiveRun} */ (s.liveRun)), live);
    case 'held':
      return h('div', {}, held(s, /** @type {RunSummary} */ (s.lastRuns?.[0]), changed), live);
    case 'failed': {
      const last = s.lastRuns?.[0];
      const err = s.error ?? {
        message: last?.reason ?? 'The last run failed.',
        hint: last?.hint ?? 'Open the source, check its credentials and scope, then Run now.',
      };
      return h('div', {}, errorBox(err), live);
    }
    case 'new':
      return h('p', {}, 'Waiting for its first pull.');
    default:
      return live ?? h('p', {}, 'No pages live yet.');
  }
}

/** @param {LiveRun} run */
function progress(run) {
  const total = run.spacesTotal ?? 0;
  const done = run.spacesDone ?? 0;
  const label = `Pulling: ${done} of ${total || '?'} spaces, ${count(run.pages ?? 0)} pages`;
  return h(
    'div',
    { class: 'progress' },
    h('progress', total ? { max: total, value: done, 'aria-label': label } : { 'aria-label': label }),
    h(
      'p',
      { class: 'progress-text' },
      label,
      ` · ${count(Math.round(run.pagesPerSecond ?? 0))} pages/s`,
      ` · ETA ${run.etaSeconds === null || run.etaSeconds === undefined ? 'estimating…' : duration(run.etaSeconds * 1000)}`,
      run.rateLimited ? ` · ${count(run.rateLimited)} rate-limited answers` : null,
      run.retries ? ` · ${count(run.retries)} retries` : null,
    ),
  );
}

/** @param {Source} s @param {RunSummary} run @param {() => void} changed */
function held(s, run, changed) {
  const status = h('div', { 'aria-live': 'polite' });
  const button = h(
    'button',
    {
      type: 'button',
      onclick: async () => {
        button.disabled = true;
        try {
          await api.release(s.id, run.runId);
          changed();
        } catch (err) {
          button.disabled = false;
          status.replaceChildren(errorBox(/** @type {any} */ (err)));
        }
      },
    },
    'Release',
  );
  return h(
    'div',
    { class: 'held' },
    h(
      'p',
      {},
      `Held: the new run has ${count(run.docs)} pages, the live index ${count(run.liveDocs)}. `,
      'It shrinks more than the guard allows, so it waits for you. Release it if the pages were really removed in Confluence.',
    ),
    button,
    status,
  );
}
