import { describe, expect, it } from 'vitest';
import {
  dueAt,
  jitterOf,
  missedSlots,
  pickDue,
  scheduleInputOf,
  type ScheduleInput,
} from '../../sources/schedule.ts';

const H = 3_600_000;
const base: ScheduleInput = {
  createdAt: 1_000_000,
  everyMs: 4 * H,
  paused: false,
  jitterMs: 0,
  lastStartedAt: null,
  runRequestedAt: null,
};

describe('dueAt', () => {
  it('a source that never ran is due at once (the first full pull)', () => {
    expect(dueAt(base)).toBe(base.createdAt);
  });

  it('after a start, the next slot of its grid; a run that overran skips the slots it covered', () => {
    const s = { ...base, jitterMs: 60_000 };
    expect(dueAt({ ...s, lastStartedAt: s.createdAt })).toBe(s.createdAt + 60_000 + 4 * H);
    // Started 9 h after creation (slots at 4 h and 8 h passed): next is 12 h, not 4 h or 8 h.
    expect(dueAt({ ...s, lastStartedAt: s.createdAt + 9 * H })).toBe(s.createdAt + 60_000 + 12 * H);
  });

  it('a failed run is retried on the next slot, not at once (the start is what counts)', () => {
    const started = base.createdAt + 4 * H + 5;
    expect(dueAt({ ...base, lastStartedAt: started })).toBe(base.createdAt + 8 * H);
  });

  it('paused: never due, except for run now', () => {
    expect(dueAt({ ...base, paused: true })).toBeNull();
    expect(dueAt({ ...base, paused: true, lastStartedAt: 5, runRequestedAt: 10 })).toBe(10);
  });

  it('run now is due when asked, and served once a pull started after it', () => {
    const last = base.createdAt + H;
    expect(dueAt({ ...base, lastStartedAt: last, runRequestedAt: last + 10 })).toBe(last + 10);
    expect(dueAt({ ...base, lastStartedAt: last + 20, runRequestedAt: last + 10 })).toBe(
      base.createdAt + 4 * H,
    );
  });
});

describe('jitterOf', () => {
  it('is stable, within min(max jitter, half the interval), and spreads sources', () => {
    expect(jitterOf('acme', 4 * H, 15 * 60_000)).toBe(jitterOf('acme', 4 * H, 15 * 60_000));
    const offsets = Array.from({ length: 500 }, (_, i) => jitterOf(`site-${i}`, 4 * H, 4 * H));
    for (const o of offsets) expect(o).toBeGreaterThanOrEqual(0);
    for (const o of offsets) expect(o).toBeLessThan(2 * H);
    // 500 sources over 2 h: no minute holds more than a handful of starts.
    const perMinute = new Map<number, number>();
    for (const o of offsets)
      perMinute.set(Math.floor(o / 60_000), (perMinute.get(Math.floor(o / 60_000)) ?? 0) + 1);
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(12);
    expect(new Set(offsets).size).toBeGreaterThan(490);
    expect(jitterOf('acme', 1000, 0)).toBe(0);
  });

  it('feeds the schedule input of a record', () => {
    const input = scheduleInputOf(
      { id: 'acme', createdAt: 5, schedule: { everyMs: H, paused: false }, runRequestedAt: null },
      null,
      60_000,
    );
    expect(input.jitterMs).toBe(jitterOf('acme', H, 60_000));
  });
});

describe('pickDue', () => {
  const due = [
    { id: 'c', dueAt: 30 },
    { id: 'a', dueAt: 10 },
    { id: 'b', dueAt: 20 },
    { id: 'later', dueAt: 1000 },
    { id: 'paused', dueAt: null },
  ];

  it('starts the oldest due first, up to the cap, never one already running', () => {
    expect(pickDue(due, new Set(), 2, 100)).toEqual(['a', 'b']);
    expect(pickDue(due, new Set(['a']), 2, 100)).toEqual(['b']);
    expect(pickDue(due, new Set(['x', 'y']), 2, 100)).toEqual([]);
    expect(pickDue(due, new Set(), 10, 100)).toEqual(['a', 'b', 'c']);
  });
});

describe('missedSlots', () => {
  it('counts slots that passed before the start', () => {
    expect(missedSlots(100, 90, 50)).toBe(0);
    expect(missedSlots(100, 149, 50)).toBe(0);
    expect(missedSlots(100, 150, 50)).toBe(1);
    expect(missedSlots(100, 260, 50)).toBe(3);
  });
});
