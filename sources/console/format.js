// @ts-check
// How numbers, durations and moments read in the console. Pure functions.

/** @param {number | null | undefined} n */
export function count(n) {
  return n === null || n === undefined ? '–' : n.toLocaleString('en');
}

/** "45 s", "3 min 20 s", "2 h 5 min". @param {number | null | undefined} ms */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const hours = Math.floor(m / 60);
  return m % 60 ? `${hours} h ${m % 60} min` : `${hours} h`;
}

/** "just now", "5 min ago", "in 2 h". @param {number | string | null | undefined} at @param {number} [now] */
export function relative(at, now = Date.now()) {
  if (at === null || at === undefined) return 'never';
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (!Number.isFinite(t)) return 'never';
  const diff = t - now;
  if (Math.abs(diff) < 10_000) return 'just now';
  return diff < 0 ? `${duration(-diff)} ago` : `in ${duration(diff)}`;
}

/** A moment for a title tooltip and a <time datetime>. @param {number | string | null | undefined} at */
export function iso(at) {
  if (at === null || at === undefined) return '';
  const d = new Date(at);
  return Number.isFinite(d.getTime()) ? d.toISOString() : '';
}

/** "every 4h", "paused". @param {{ every?: string, paused?: boolean } | null | undefined} schedule */
export function scheduleText(schedule) {
  if (!schedule || schedule.paused) return 'paused';
  return schedule.every ? `every ${schedule.every}` : 'on demand';
}
