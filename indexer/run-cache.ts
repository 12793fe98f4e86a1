// The runs this process is receiving records of. Each run is opened (initialized: state and index) once
// per process — both steps are idempotent, so another process or a restart doing it again is harmless.
// A run's last activity, for the stale-run sweep, is written with every marker and for pages at most
// once per `touchEveryMs` per run — never once per page. The write returns the stored state, so a run
// the sweep failed meanwhile stops taking pages (partitions in flight wait for the same answer). Runs
// not heard of for a while are forgotten (a late record opens them again from the store).
import type { IndexerEvent } from '../schemas/index.ts';
import { RunIndex, type RunIndexDeps } from './run-index.ts';

export type RunCache = ReturnType<typeof createRunCache>;

export function createRunCache(d: RunIndexDeps, touchEveryMs: number) {
  const runs = new Map<string, { at: number; run: Promise<RunIndex> }>();
  return {
    /** The run an event belongs to, opened on first sight; `always` records its activity now (markers). */
    receive(event: IndexerEvent, always = false): Promise<RunIndex> {
      const now = Date.now();
      const last = runs.get(event.runId);
      if (!always && last && now - last.at < touchEveryMs) return last.run;
      const fresh = (last?.run ?? RunIndex.open(d, event)).then(async (run) => {
        // Now, not when asked: opening a run (its state and index) can take seconds on a busy cluster.
        await run.touch(Date.now());
        return run;
      });
      runs.set(event.runId, { at: now, run: fresh });
      fresh.catch(() => runs.get(event.runId)?.run === fresh && runs.delete(event.runId));
      return fresh;
    },

    forget(now: number): void {
      for (const [runId, { at }] of runs) if (now - at > 10 * touchEveryMs) runs.delete(runId);
    },
  };
}
