// When may a run go live? Plain functions over what the indexer recorded and counted — no I/O, so every
// rule (complete, adds up, monotonic, mass-deletion guard) is unit-tested on its own.
import { isNewerRun } from '../lib/run-id.ts';

export const RUN_STATUSES = ['indexing', 'held', 'flipped', 'failed', 'superseded', 'rolled-back'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

// What a run's status means, defined once: the indexer, ops, the sources service and the tests ask
// these instead of comparing statuses themselves. The lists are for queries on the run state index.
type WithStatus = Pick<RunState, 'status'>;

/** Still taking pages, waiting for its END markers. */
export const OPEN: RunStatus[] = ['indexing'];
/** Went live at some point (a rollback does not undo that, for the monotonic guard). */
export const WENT_LIVE: RunStatus[] = ['flipped', 'rolled-back'];
/** Judged never to go live (failed, or too late). */
export const REFUSED: RunStatus[] = ['failed', 'superseded'];
/** Never goes live (again): its index is deleted once the grace period is over. */
export const DEAD: RunStatus[] = [...REFUSED, 'rolled-back'];

export const isOpen = (run: WithStatus) => OPEN.includes(run.status);
/** The indexer has given its verdict (any status but open). */
export const isDecided = (run: WithStatus) => !isOpen(run);
export const isHeld = (run: WithStatus) => run.status === 'held';
export const isFlipped = (run: WithStatus) => run.status === 'flipped';
export const wentLive = (run: WithStatus) => WENT_LIVE.includes(run.status);
export const isRefused = (run: WithStatus) => REFUSED.includes(run.status);
export const isDead = (run: WithStatus) => DEAD.includes(run.status);

export interface EndSeen {
  pagesInPartition: number;
  pagesTotal: number;
  at: number;
}

/** The markers of a run seen so far, by partition number (each one a document of its own). */
export interface RunMarkers {
  /** How many partitions the run was written to (as the markers say). */
  partitions: number;
  starts: Record<string, { at: number }>;
  ends: Record<string, EndSeen>;
  aborts: Record<string, { reason: string | null; at: number }>;
}

/** A run as the indexer recorded it (document `<runId>` in `<prefix>-runs`). */
export interface RunState {
  kind: 'run';
  runId: string;
  sourceId: string;
  index: string;
  replayOf: string | null;
  /** A refresh: the run whose index this run's index started as a copy of; null (or absent) for a full run. */
  baseRunId?: string | null;
  /**
   * When the last full run of this run's chain started: a refresh's START says; a full run's is its own
   * START. The producer counts its full-refresh cadence from the live run's.
   */
  fullAt?: number | null;
  status: RunStatus;
  reason: string | null;
  firstSeenAt: number;
  /** From the markers: the producer's START and last END. */
  startedAt?: number | null;
  endedAt?: number | null;
  completedAt?: number | null;
  decidedAt?: number | null;
  flippedAt?: number | null;
  /** Distinct pages in the run's index, and distinct pages accounted as failures, when last checked. */
  docs?: number | null;
  failures?: number | null;
  pagesTotal?: number | null;
  /** The live alias's count when the run was held. */
  liveDocs?: number | null;
  /** Public pages in the run's index, and in the live alias when last checked. */
  publicDocs?: number | null;
  livePublicDocs?: number | null;
  /** When the indexer last received a marker or pages of the run (written at most every minute or so). */
  lastActivityAt?: number | null;
  deleteAfter?: number | null;
  deletedAt?: number | null;
}

export type Readiness = { state: 'open' } | { state: 'aborted'; reason: string } | { state: 'complete' };

/** A run is complete once END is seen on every partition; one ABORT anywhere fails it. */
export function readiness(run: RunMarkers): Readiness {
  const abort = Object.values(run.aborts)[0];
  if (abort) return { state: 'aborted', reason: `aborted upstream: ${abort.reason ?? 'no reason given'}` };
  if (run.partitions < 1) return { state: 'open' };
  for (let p = 0; p < run.partitions; p++) if (!run.ends[String(p)]) return { state: 'open' };
  return { state: 'complete' };
}

/** pagesTotal as every END states it; ENDs that disagree mean a broken run. */
export function pagesTotal(ends: Record<string, EndSeen>): number | { disagree: number[] } {
  const totals = [...new Set(Object.values(ends).map((e) => e.pagesTotal))];
  return totals.length === 1 ? totals[0]! : { disagree: totals.sort((a, b) => a - b) };
}

/** Every page the run emitted is in the index or accounted for as a failure, and nothing more. */
export function addsUp(counts: { pagesTotal: number; docs: number; failures: number }): string | null {
  const { pagesTotal, docs, failures } = counts;
  if (docs + failures === pagesTotal) return null;
  return `does not add up: ${docs} pages indexed + ${failures} failed ≠ ${pagesTotal} emitted`;
}

/** Mass-deletion guard: a run that would shrink the live alias by more than maxShrink is held. */
export function shrinkHold(counts: { docs: number; liveDocs: number; maxShrink: number }): string | null {
  const floor = (1 - counts.maxShrink) * counts.liveDocs;
  if (counts.docs >= floor) return null;
  return `held: ${counts.docs} pages would replace ${counts.liveDocs} live (shrinks by more than ${Math.round(counts.maxShrink * 100)}%)`;
}

/** Pages by audience: all of them and the public ones. */
export interface AudienceCounts {
  docs: number;
  publicDocs: number;
}

/**
 * Audience-shift guard: a run that would move more than maxShift of the live public pages to internal
 * (or of the live internal pages to public) is held. Counted from totals, the pages that must have
 * moved at least: public pages lost that internal pages gained, and the other way round — so pages only
 * added or only deleted never count as moved (the shrink guard watches deletions).
 */
export function audienceHold(counts: {
  run: AudienceCounts;
  live: AudienceCounts;
  maxShift: number;
}): string | null {
  const { run, live, maxShift } = counts;
  const [runInternal, liveInternal] = [run.docs - run.publicDocs, live.docs - live.publicDocs];
  const toInternal = Math.min(live.publicDocs - run.publicDocs, runInternal - liveInternal);
  const toPublic = Math.min(liveInternal - runInternal, run.publicDocs - live.publicDocs);
  const pct = Math.round(maxShift * 100);
  if (toInternal > 0 && toInternal > maxShift * live.publicDocs)
    return `held: audience shift, ${toInternal} of ${live.publicDocs} live public pages would become internal (public ${live.publicDocs} → ${run.publicDocs}, internal ${liveInternal} → ${runInternal}; more than ${pct}%)`;
  if (toPublic > 0 && toPublic > maxShift * liveInternal)
    return `held: audience shift, ${toPublic} of ${liveInternal} live internal pages would become public (internal ${liveInternal} → ${runInternal}, public ${live.publicDocs} → ${run.publicDocs}; more than ${pct}%)`;
  return null;
}

/** Monotonic: a run older than one that has already gone live never moves the alias back. */
export function superseded(runId: string, newestLive: string | null): string | null {
  if (!newestLive || !isNewerRun(newestLive, runId)) return null;
  return `superseded: run ${newestLive} already went live`;
}

export type Decision =
  | { outcome: 'flip' }
  | { outcome: 'already-live' }
  | { outcome: 'hold'; reason: string }
  | { outcome: 'fail'; reason: string }
  | { outcome: 'supersede'; reason: string };

export interface Facts {
  runId: string;
  ends: Record<string, EndSeen>;
  docs: number;
  publicDocs: number;
  failures: number;
  /** The run the alias points at now, with its counts; null before the first flip. */
  live: { runId: string; docs: number; publicDocs: number } | null;
  /** The newest run that ever went live for this source (may be newer than `live` after a rollback). */
  newestLive: string | null;
  maxShrink: number;
  maxAudienceShift: number;
  /** An operator's release: overrides the shrink and audience-shift guards, and only them. */
  release: boolean;
}

/** The verdict on a complete run. */
export function decide(f: Facts): Decision {
  if (f.live?.runId === f.runId) return { outcome: 'already-live' };
  const late = superseded(f.runId, f.newestLive);
  if (late) return { outcome: 'supersede', reason: late };
  const total = pagesTotal(f.ends);
  if (typeof total !== 'number')
    return { outcome: 'fail', reason: `END markers disagree on pagesTotal: ${total.disagree.join(', ')}` };
  const short = addsUp({ pagesTotal: total, docs: f.docs, failures: f.failures });
  if (short) return { outcome: 'fail', reason: short };
  const hold =
    f.live && !f.release
      ? (shrinkHold({ docs: f.docs, liveDocs: f.live.docs, maxShrink: f.maxShrink }) ??
        audienceHold({ run: f, live: f.live, maxShift: f.maxAudienceShift }))
      : null;
  if (hold) return { outcome: 'hold', reason: hold };
  return { outcome: 'flip' };
}

export interface Staleness {
  now: number;
  /** How long an open run may go without a marker or page. */
  staleMs: number;
  /** Since when the indexer has been able to see records (its start, or Elasticsearch's return). */
  watchingSince: number;
}

/**
 * An open run that has had no marker or page for `staleMs` is dead: its producer was killed without
 * sending ABORT, so END will never arrive on every partition. Silence is counted only from when the
 * indexer was watching, so a backlog it has not read yet (after its own downtime or an Elasticsearch
 * outage) never makes a healthy run look stale.
 */
export function staleness(
  run: Pick<RunState, 'status' | 'firstSeenAt' | 'lastActivityAt'>,
  s: Staleness,
): string | null {
  if (!isOpen(run)) return null;
  const since = Math.max(run.lastActivityAt ?? run.firstSeenAt, s.watchingSince);
  if (s.now - since < s.staleMs) return null;
  return `no END from the producer within ${duration(s.staleMs)}: the producer likely died mid-run; the next run replaces it`;
}

/** A run that can never go live takes no more pages (late records of a stale run, redeliveries). */
export function closed(run: Pick<RunState, 'status' | 'deletedAt'>): boolean {
  return Boolean(run.deletedAt) || isRefused(run);
}

const duration = (ms: number) => {
  const [n, unit] = ms >= 60_000 ? [ms / 60_000, 'minute'] : [ms / 1000, 'second'];
  const rounded = Math.round(n * 10) / 10;
  return `${rounded} ${unit}${rounded === 1 ? '' : 's'}`;
};

export interface KeptRun {
  runId: string;
  index: string;
  status: RunStatus;
  baseRunId?: string | null;
  deleteAfter?: number | null;
  deletedAt?: number | null;
}

/**
 * Which run indices to delete now: versions that went live, older than the live one, beyond the newest
 * `keepPrevious` of them (so the index the alias just left always survives); and dead runs (failed,
 * superseded, rolled back) once their grace period is over. Never the live index; open and held runs
 * stay, and so does the base of an open refresh (its copy may still be in the making).
 */
export function retention(
  runs: KeptRun[],
  liveRunId: string | null,
  keepPrevious: number,
  now: number,
): string[] {
  const bases = new Set(runs.filter((r) => isOpen(r) && r.baseRunId).map((r) => r.baseRunId));
  const present = runs.filter((r) => !r.deletedAt && r.runId !== liveRunId && !bases.has(r.runId));
  const previous = present
    .filter((r) => isFlipped(r) && liveRunId !== null && isNewerRun(liveRunId, r.runId))
    .sort((a, b) => (isNewerRun(a.runId, b.runId) ? -1 : 1));
  const dead = present.filter((r) => isDead(r) && r.deleteAfter != null && r.deleteAfter <= now);
  return [...previous.slice(keepPrevious), ...dead].map((r) => r.index);
}

/** Rollback goes to the newest version older than the live one that went live and still exists. */
export function rollbackTarget<R extends KeptRun>(runs: R[], liveRunId: string): R | null {
  return (
    runs
      .filter((r) => isFlipped(r) && !r.deletedAt && isNewerRun(liveRunId, r.runId))
      .sort((a, b) => (isNewerRun(a.runId, b.runId) ? -1 : 1))[0] ?? null
  );
}
