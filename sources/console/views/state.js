// @ts-check
// A source's state at a glance, the same in the list and on the source's page: live (page counts and
// since when), pulling (a bar, rate and ETA), held (both counts and Release), failed (message and
// what to do), paused or new.
import { api } from '../api.js';
import { errorBox, h } from '../dom.js';
import { count, duration, iso, relative } from '../format.js';

/**
 * The shapes of the sources API (its OpenAPI document at /api/openapi.json is the reference).
 * @typedef {{ runId: string | null, startedAt: number, spacesDone: number, spacesTotal: number, pages: number,
 *   pagesPerSecond: number, etaSeconds: number | null, requests: number, retries: number, rateLimited: number }} RunningPull
 * @typedef {{ runId: string | null, status: 'SUCCEEDED' | 'FAILED' | 'NOT_STARTED', startedAt: number,
 *   endedAt: number, pages: number, error: string | null, hint: string | null }} LastPull
 * @typedef {{ runId: string, status: string, reason: string | null, live: boolean, docs?: number | null,
 *   liveDocs?: number | null, failures?: number | null, startedAt?: number | null, endedAt?: number | null,
 *   flippedAt?: number | null, pages?: { public: number, internal: number } | null }} RunRow
 * @typedef {{ runId: string | null, index: string, pages: { public: number, internal: number, total: number },
 *   wentLiveAt: number | null }} LiveIndex
 * @typedef {{ id: string, domain: string | null, baseUrl: string | null, siteUrl: string, email: string,
 *   schedule: { every: string, paused: boolean }, scope: { include: string[], exclude: string[], archived: boolean },
 *   status: { running: RunningPull | null, lastRun: LastPull | null, nextRunAt: number | null },
 *   live?: LiveIndex | null, runs?: RunRow[], latestRun?: RunRow | null }} Source
 */

/** What the source is doing, from what the API reported. Pure. @param {Source} s */
export function stateOf(s) {
  if (s.status.running) return 'pulling';
  const latest = newestRun(s);
  if (latest?.status === 'held') return 'held';
  if (s.status.lastRun?.status === 'FAILED' || latest?.status === 'failed') return 'failed';
  if (s.schedule.paused) return 'paused';
  if (s.live) return 'live';
  return 'new';
}

/** The newest run: the list has it as latestRun, a source's own page as the first of its runs. @param {Source} s */
function newestRun(s) {
  return s.runs?.[0] ?? s.latestRun ?? null;
}

/** The name a person knows the source by. @param {Source} s */
export function nameOf(s) {
  return s.domain ?? s.baseUrl ?? s.id;
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
  const live = s.live
    ? h(
        'p',
        { class: 'counts' },
        h('span', {}, `${count(s.live.pages.public)} public`),
        ' · ',
        h('span', {}, `${count(s.live.pages.internal)} internal`),
        // The alias moves a moment before the run records its flip time: no "since never" meanwhile.
        s.live.wentLiveAt
          ? [' · live since ', h('time', { datetime: iso(s.live.wentLiveAt) }, relative(s.live.wentLiveAt))]
          : ' · live',
      )
    : null;
  switch (state) {
    case 'pulling':
      return h('div', {}, progress(/** @type {RunningPull} */ (s.status.running)), live);
    case 'held':
      return h('div', {}, held(s, /** @type {RunRow} */ (newestRun(s)), changed), live);
    case 'failed':
      return h('div', {}, errorBox(failure(s)), live);
    case 'new':
      return h('p', {}, 'Waiting for its first pull.');
    default:
      return live ?? h('p', {}, 'No pages live yet.');
  }
}

/** What went wrong last, and what to do about it. @param {Source} s */
function failure(s) {
  const pull = s.status.lastRun;
  if (pull?.status === 'FAILED')
    return {
      message: `The last pull failed: ${pull.error ?? 'no reason given'}`,
      hint:
        pull.hint ??
        'Check the credentials and the scope below, then Run now. The live pages stay as they were.',
    };
  return {
    message: `The last run did not go live: ${newestRun(s)?.reason ?? 'no reason given'}`,
    hint: 'The live pages stay as they were. Run now to try again; the runs below say what each run did.',
  };
}

/** @param {RunningPull} run */
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

/** @param {Source} s @param {RunRow} run @param {() => void} changed */
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
