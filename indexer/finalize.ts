// Finalize: once a run's END is seen on every partition, verify it and move the alias — or record why
// not. Idempotent and safe to repeat (after a crash, on restart, on `ops release`): a run that is no
// longer open is left alone, and a run whose index the alias already holds is only recorded as flipped.
// A refresh is verified exactly like a full run: its END's pagesTotal counts every page of the version.
import { isNewerRun } from '../lib/run-id.ts';
import { aliasHolders, liveRun } from './alias.ts';
import {
  decide,
  isHeld,
  isOpen,
  OPEN,
  readiness,
  retention,
  staleness,
  superseded,
  type Decision,
  type RunMarkers,
  type RunState,
} from './completion.ts';
import { aliasName } from './index-names.ts';
import { RunIndex, type RunIndexDeps } from './run-index.ts';

export type { Outcome } from './run-index.ts';
export type FinalizerDeps = RunIndexDeps;

export function createFinalizer(d: FinalizerDeps) {
  const prefix = d.cfg.services.indexPrefix;
  // One decision at a time per source: two partitions' ENDs arriving together must not flip twice.
  const locks = new Map<string, Promise<unknown>>();
  const serialized = <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const next = (locks.get(key) ?? Promise.resolve()).then(fn, fn);
    locks.set(
      key,
      next.catch(() => {}),
    );
    return next;
  };

  /** Deletes what retention no longer keeps for one source (never the live index). */
  async function retain(sourceId: string): Promise<void> {
    const runs = await d.store.list({ sourceId });
    const [live] = await aliasHolders(d.es, aliasName(prefix, sourceId));
    const liveRunId = runs.find((r) => r.index === live)?.runId ?? null;
    const doomed = new Set(retention(runs, liveRunId, d.cfg.keepPrevious, Date.now()));
    for (const run of runs)
      if (doomed.has(run.index) && run.index !== live) await RunIndex.of(d, run).delete();
  }

  async function verdict(
    run: RunIndex,
    seen: RunMarkers,
    release: boolean,
  ): Promise<{ decision: Decision; counts: Partial<RunState> }> {
    const { docs, publicDocs, failures } = await run.counts();
    const live = await liveRun(d.es, d.store, prefix, run.sourceId);
    const newest = await d.store.newestLive(run.sourceId);
    const newestLive = [newest, live?.runId].reduce<string | null>(
      (a, b) => (b && (!a || isNewerRun(b, a)) ? b : a),
      null,
    );
    const decision = decide({
      runId: run.runId,
      ends: seen.ends,
      docs,
      publicDocs,
      failures,
      live,
      newestLive,
      maxShrink: d.cfg.maxShrink,
      maxAudienceShift: d.cfg.maxAudienceShift,
      release,
    });
    const total = Object.values(seen.ends)[0]?.pagesTotal ?? null;
    const liveCounts = { liveDocs: live?.docs ?? null, livePublicDocs: live?.publicDocs ?? null };
    return { decision, counts: { docs, publicDocs, failures, pagesTotal: total, ...liveCounts } };
  }

  async function finalizeNow(runId: string, release: boolean): Promise<RunState | null> {
    const state = await d.store.get(runId);
    if (!state || !(release ? isHeld(state) : isOpen(state))) return state;
    const run = RunIndex.of(d, state);
    const log = run.log;
    const seen = await d.store.markers(runId);
    const ready = readiness(seen);
    if (ready.state === 'open') return state;
    if (ready.state === 'aborted') {
      log.warn({ reason: ready.reason }, 'run failed: it never goes live');
      d.onOutcome?.('failed');
      return run.decide('failed', ready.reason);
    }
    const completedAt = state.completedAt ?? Date.now();
    const { decision, counts } = await verdict(run, seen, release);
    const ends = Object.values(seen.ends).map((e) => e.at);
    const starts = Object.values(seen.starts).map((e) => e.at);
    const extra = {
      ...counts,
      completedAt,
      startedAt: starts.length ? Math.min(...starts) : null,
      endedAt: Math.max(...ends),
    };
    switch (decision.outcome) {
      case 'already-live':
        return run.decide('flipped', null, { ...extra, flippedAt: state.flippedAt ?? Date.now() });
      case 'hold':
        log.warn(
          { ...counts, reason: decision.reason },
          'run held: release it with `ops release` if intended',
        );
        d.onOutcome?.('held');
        return run.decide('held', decision.reason, extra);
      case 'fail':
      case 'supersede': {
        const status = decision.outcome === 'fail' ? 'failed' : 'superseded';
        log.warn({ ...counts, reason: decision.reason }, `run ${status}: it never goes live`);
        d.onOutcome?.(status);
        return run.decide(status, decision.reason, extra);
      }
      case 'flip': {
        await run.flip();
        const flippedAt = Date.now();
        log.info(
          { ...counts, index: run.name, flipMs: flippedAt - completedAt, released: release },
          'run flipped: alias moved',
        );
        d.onOutcome?.('flipped');
        const done = await run.decide('flipped', release ? 'released by an operator' : null, {
          ...extra,
          flippedAt,
        });
        // The index the alias just left is kept (keepPrevious ≥ 1): in-flight queries finish on it.
        await retain(run.sourceId);
        return done;
      }
    }
  }

  /** An open run gone silent: decided now if its END or ABORT just arrived after all, else failed. */
  async function failIfStale(runId: string, watchingSince: number): Promise<void> {
    const state = await finalizeNow(runId, false);
    const reason = state && staleness(state, { now: Date.now(), staleMs: d.cfg.staleRunMs, watchingSince });
    if (!state || !reason) return;
    const run = RunIndex.of(d, state);
    run.log.warn(
      { reason, lastActivityAt: state.lastActivityAt ?? state.firstSeenAt },
      'run failed: stale, it never goes live',
    );
    d.onOutcome?.('failed');
    await run.decide('failed', reason);
  }

  return {
    /** Decides a run if it is complete (or aborted); `release` flips a held run past the shrink and audience guards only. */
    async finalize(runId: string, opts: { release?: boolean } = {}): Promise<RunState | null> {
      const run = await d.store.get(runId);
      if (!run) return null;
      return serialized(run.sourceId, () => finalizeNow(runId, opts.release ?? false));
    },

    /** After a restart: runs whose markers all arrived but which were never decided. */
    async recover(): Promise<void> {
      for (const run of await d.store.list({ statuses: OPEN })) await this.finalize(run.runId);
    },

    /**
     * Periodic: open runs gone stale (their producer died mid-run), held runs that a newer flip made
     * obsolete, and retention per source. `watchingSince`: see `staleness`.
     */
    async sweep(watchingSince: number): Promise<void> {
      const runs = await d.store.list();
      const stale = { now: Date.now(), staleMs: d.cfg.staleRunMs, watchingSince };
      for (const run of runs.filter((r) => staleness(r, stale)))
        await serialized(run.sourceId, () => failIfStale(run.runId, watchingSince));
      for (const run of runs.filter(isHeld)) {
        const late = superseded(run.runId, await d.store.newestLive(run.sourceId));
        if (late) await serialized(run.sourceId, () => RunIndex.of(d, run).decide('superseded', late));
      }
      for (const sourceId of new Set(runs.map((r) => r.sourceId)))
        await serialized(sourceId, () => retain(sourceId));
    },
  };
}
