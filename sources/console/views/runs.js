// @ts-check
// A source's recent runs: a small chart (pages public/internal as stacked bars, duration as a line,
// failed pages as red marks) so a drop or a slowdown shows at a glance, and the same data as a table.
import { h, replace, svg } from '../dom.js';
import { count, duration, iso, relative } from '../format.js';

/** @typedef {import('./state.js').RunRow} RunRow */

/** Milliseconds a run took, producer start to its end (or to the flip when that is all we know). @param {RunRow} r */
export function runDuration(r) {
  const start = toMs(r.startedAt);
  const end = toMs(r.endedAt) ?? toMs(r.flippedAt);
  return start !== null && end !== null && end >= start ? end - start : null;
}

/** @param {number | string | null | undefined} v */
function toMs(v) {
  if (v === null || v === undefined) return null;
  const t = typeof v === 'number' ? v : Date.parse(v);
  return Number.isFinite(t) ? t : null;
}

/** @param {HTMLElement} root @param {import('./state.js').Source} s @param {() => void} _changed */
export function renderRuns(root, s, _changed) {
  const runs = (s.runs ?? []).slice(0, 20);
  replace(
    root,
    h('h2', { id: 'runs-title' }, 'Runs'),
    runs.length ? chart([...runs].reverse()) : h('p', {}, 'No run yet.'),
    runs.length ? table(runs) : null,
  );
}

const W = 600;
const H = 160;
const PAD = { left: 40, right: 40, top: 10, bottom: 20 };

/** @param {RunRow[]} runs oldest first */
function chart(runs) {
  const pagesMax = Math.max(
    1,
    ...runs.map((r) => (r.pages ? r.pages.public + r.pages.internal : (r.docs ?? 0))),
  );
  const durMax = Math.max(1, ...runs.map((r) => runDuration(r) ?? 0));
  const slot = (W - PAD.left - PAD.right) / runs.length;
  const barW = Math.max(2, Math.min(28, slot * 0.6));
  const y = (/** @type {number} */ v, /** @type {number} */ max) =>
    PAD.top + (H - PAD.top - PAD.bottom) * (1 - v / max);
  const x = (/** @type {number} */ i) => PAD.left + slot * i + slot / 2;
  const bars = runs.flatMap((r, i) => {
    // Runs whose index was already removed know their total only: one grey bar.
    const split = r.pages ?? null;
    const pub = split ? split.public : (r.docs ?? 0);
    const int = split ? split.internal : 0;
    const pages = split ? `${count(pub)} public, ${count(int)} internal` : `${count(r.docs ?? null)} pages`;
    const tip = `${r.runId}: ${r.status}, ${pages}, took ${duration(runDuration(r))}, ${count(r.failures ?? 0)} failed pages`;
    const base = y(0, pagesMax);
    const top = y(pub, pagesMax);
    const out = [
      svg(
        'rect',
        {
          class: split ? 'bar-public' : 'bar-total',
          x: x(i) - barW / 2,
          y: top,
          width: barW,
          height: base - top,
        },
        svg('title', {}, document.createTextNode(tip)),
      ),
      svg('rect', {
        class: 'bar-internal',
        x: x(i) - barW / 2,
        y: y(pub + int, pagesMax),
        width: barW,
        height: top - y(pub + int, pagesMax),
      }),
    ];
    if ((r.failures ?? 0) > 0 || r.status === 'failed')
      out.push(
        svg(
          'circle',
          { class: 'mark-failed', cx: x(i), cy: PAD.top + 4, r: 4 },
          svg('title', {}, document.createTextNode(tip)),
        ),
      );
    return out;
  });
  const points = runs
    .map((r, i) => [x(i), runDuration(r)])
    .filter(([, d]) => d !== null)
    .map(([px, d]) => `${px},${y(/** @type {number} */ (d), durMax)}`)
    .join(' ');
  const latest = runs[runs.length - 1];
  const label = `Last ${runs.length} runs. Latest: ${latest?.status}, ${count(latest?.docs ?? null)} pages, took ${duration(latest ? runDuration(latest) : null)}.`;
  return h(
    'figure',
    { class: 'chart' },
    svg(
      'svg',
      { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' },
      svg('text', { x: 2, y: PAD.top + 8, class: 'axis' }, document.createTextNode(count(pagesMax))),
      svg('text', { x: W - 2, y: PAD.top + 8, class: 'axis end' }, document.createTextNode(duration(durMax))),
      svg('line', { x1: PAD.left, x2: W - PAD.right, y1: y(0, 1), y2: y(0, 1), class: 'baseline' }),
      ...bars,
      svg('polyline', { points, class: 'line-duration' }),
    ),
    h(
      'figcaption',
      {},
      h('span', { class: 'key key-public' }, 'public pages'),
      h('span', { class: 'key key-internal' }, 'internal pages'),
      h('span', { class: 'key key-duration' }, 'duration'),
      h('span', { class: 'key key-failed' }, 'failures'),
    ),
  );
}

/** @param {RunRow[]} runs newest first */
function table(runs) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: 0, role: 'region', 'aria-label': 'Runs table' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Run', 'Status', 'Started', 'Pages', 'Took', 'Failed pages'].map((t) =>
            h('th', { scope: 'col' }, t),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        runs.map((r) =>
          h(
            'tr',
            { 'data-run': r.runId },
            h('td', {}, h('code', {}, r.runId)),
            h(
              'td',
              {},
              h('span', { class: `badge state-${r.status}` }, r.status),
              r.reason ? h('div', { class: 'muted' }, r.reason) : null,
            ),
            h('td', {}, h('time', { datetime: iso(r.startedAt) }, relative(r.startedAt))),
            h('td', {}, count(r.docs ?? null)),
            h('td', {}, duration(runDuration(r))),
            h('td', {}, count(r.failures ?? 0)),
          ),
        ),
      ),
    ),
  );
}
