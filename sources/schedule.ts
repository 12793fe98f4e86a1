// The scheduling rules, pure: when each source is due, how starts are spread, which due sources start
// now under the global cap, and how many slots a late start missed. The scheduler (scheduler.ts) only
// feeds these the clock, the records and the status, and acts on the answers.
import { nextSlot } from '../producer/schedule.ts';

/** What the rules need to know of one source. */
export interface ScheduleInput {
  createdAt: number;
  everyMs: number;
  paused: boolean;
  /** Deterministic offset of this source's grid (see jitterOf). */
  jitterMs: number;
  /** When the last pull of this source started (whatever became of it); null if it never ran. */
  lastStartedAt: number | null;
  /** An outstanding "run now" (served once a pull starts after it). */
  runRequestedAt: number | null;
}

/**
 * A stable offset in [0, min(maxJitterMs, everyMs / 2)) from the source id (FNV-1a): 500 sources on
 * "every 4 h" land on 500 different minutes, and a restart or a move to another instance keeps each
 * source's slots where they were.
 */
export function jitterOf(sourceId: string, everyMs: number, maxJitterMs: number): number {
  const span = Math.min(maxJitterMs, Math.floor(everyMs / 2));
  if (span <= 0) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < sourceId.length; i++) hash = Math.imul(hash ^ sourceId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % span;
}

/**
 * When the source is next due: a pending "run now" at once; a source that never ran at once (the first
 * full pull); otherwise the first slot of its grid (`createdAt + jitter + k·every`) after its last start.
 * So a failed run is retried on the next slot, and a pull that overran its slot skips the slots it
 * covered instead of starting a burst. Paused: only "run now". Null: not due at all.
 */
export function dueAt(s: ScheduleInput): number | null {
  const last = s.lastStartedAt;
  if (s.runRequestedAt !== null && (last === null || s.runRequestedAt > last)) return s.runRequestedAt;
  if (s.paused) return null;
  if (last === null) return s.createdAt;
  return nextSlot(s.createdAt + s.jitterMs, s.everyMs, last);
}

/**
 * The sources to start now: due ones not already running, oldest due first, as many as the cap leaves
 * room for. Oldest first means a backlog drains in order and no source starves.
 */
export function pickDue(
  due: { id: string; dueAt: number | null }[],
  running: ReadonlySet<string>,
  cap: number,
  now: number,
): string[] {
  const room = cap - running.size;
  if (room <= 0) return [];
  return due
    .filter((d) => d.dueAt !== null && d.dueAt <= now && !running.has(d.id))
    .sort((a, b) => a.dueAt! - b.dueAt! || a.id.localeCompare(b.id))
    .slice(0, room)
    .map((d) => d.id);
}

/** Slots that passed without a start: a pull due at `due` that started at `started` missed this many. */
export function missedSlots(due: number, started: number, everyMs: number): number {
  return started <= due ? 0 : Math.floor((started - due) / everyMs);
}

/** A source's schedule input from its record and its last status (what both scheduler and API read). */
export function scheduleInputOf(
  r: {
    id: string;
    createdAt: number;
    schedule: { everyMs: number; paused: boolean };
    runRequestedAt: number | null;
  },
  lastStartedAt: number | null,
  maxJitterMs: number,
): ScheduleInput {
  return {
    createdAt: r.createdAt,
    everyMs: r.schedule.everyMs,
    paused: r.schedule.paused,
    jitterMs: jitterOf(r.id, r.schedule.everyMs, maxJitterMs),
    lastStartedAt,
    runRequestedAt: r.runRequestedAt,
  };
}
