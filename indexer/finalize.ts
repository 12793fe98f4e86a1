// Finalize: once a run's END is seen on every partition, verify it and move the alias — or record why
// not. Idempotent and safe to repeat (after a crash, on restart, on `ops release`): a run that is no
// longer open is left alone, and a run whose index the alias already holds is only recorded as flipped.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { Logger } from '../lib/log.ts';
import { isNewerRun } from '../lib/run-id.ts';
import { applyRetention, audienceCounts, liveRun, moveAlias } from './alias.ts';
import {
  decide,
  isDead,
  isHeld,
  isOpen,
  OPEN,
  readiness,
  staleness,
  superseded,
  type Decision,
  type RunMarkers,
  type RunState,
} from './completion.ts';
import type { IndexerConfig } from './config.ts';
import type { RunStore } from './run-state.ts';
import { aliasName } from './index-names.ts';
import { restoreSearchSettings } from './template.ts';

export type Outcome = 'flipped' | 'held' | 'failed' | 'superseded';

export interface FinalizerDeps {
  es: Elasticsearch;
  cfg: IndexerConfig;
  store: RunStore;
  log: Logger;
  /** Test hook: a simulated crash at this point (the service throws and stops without committing). */
  checkpoint?(point: 'before-flip'): void;
  onOutcome?(outcome: Outcome): void;
}

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

  const retain = (sourceId: string, log: Logger) =>
    applyRetention(d.es, d.store, {
      prefix,
      sourceId,
      keepPrevious: d.cfg.keepPrevious,
      log,
    });

  const decided = async (
    run: RunState,
    status: RunState['status'],
    reason: string | null,
    extra: Partial<RunState> = {},
  ) => {
    const now = Date.now();
    await d.store.update(run.runId, {
      status,
      reason,
      decidedAt: now,
      ...(isDead({ status }) ? { deleteAfter: now + d.cfg.deadRunGraceMs } : {}),
      ...extra,
    });
    return { ...run, status, reason, decidedAt: now, ...extra };
  };

  async function verdict(
    run: RunState,
    seen: RunMarkers,
    release: boolean,
  ): Promise<{ decision: Decision; counts: Partial<RunState> }> {
    await restoreSearchSettings(d.es, d.cfg, run.index);
    const { docs, publicDocs } = await audienceCounts(d.es, run.index);
    const failures = await d.store.countFailures(run.runId);
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
    const run = await d.store.get(runId);
    if (!run || !(release ? isHeld(run) : isOpen(run))) return run;
    const log = d.log.child({ runId, sourceId: run.sourceId });
    const seen = await d.store.markers(runId);
    const ready = readiness(seen);
    if (ready.state === 'open') return run;
    if (ready.state === 'aborted') {
      log.warn({ reason: ready.reason }, 'run failed: it never goes live');
      d.onOutcome?.('failed');
      return decided(run, 'failed', ready.reason);
    }
    const completedAt = run.completedAt ?? Date.now();
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
        return decided(run, 'flipped', null, { ...extra, flippedAt: run.flippedAt ?? Date.now() });
      case 'hold':
        log.warn(
          { ...counts, reason: decision.reason },
          'run held: release it with `ops release` if intended',
        );
        d.onOutcome?.('held');
        return decided(run, 'held', decision.reason, extra);
      case 'fail':
      case 'supersede': {
        const status = decision.outcome === 'fail' ? 'failed' : 'superseded';
        log.warn({ ...counts, reason: decision.reason }, `run ${status}: it never goes live`);
        d.onOutcome?.(status);
        return decided(run, status, decision.reason, extra);
      }
      case 'flip': {
        d.checkpoint?.('before-flip');
        await moveAlias(d.es, aliasName(prefix, run.sourceId), run.index);
        const flippedAt = Date.now();
        log.info(
          { ...counts, index: run.index, flipMs: flippedAt - completedAt, released: release },
          'run flipped: alias moved',
        );
        d.onOutcome?.('flipped');
        const done = await decided(run, 'flipped', release ? 'released by an operator' : null, {
          ...extra,
          flippedAt,
        });
        // The index the alias just left is kept (keepPrevious ≥ 1): in-flight queries finish on it.
        await retain(run.sourceId, log);
        return done;
      }
    }
  }

  /** An open run gone silent: decided now if its END or ABORT just arrived after all, else failed. */
  async function failIfStale(runId: string, watchingSince: number): Promise<void> {
    const run = await finalizeNow(runId, false);
    const reason = run && staleness(run, { now: Date.now(), staleMs: d.cfg.staleRunMs, watchingSince });
    if (!run || !reason) return;
    d.log.warn(
      { runId, sourceId: run.sourceId, reason, lastActivityAt: run.lastActivityAt ?? run.firstSeenAt },
      'run failed: stale, it never goes live',
    );
    d.onOutcome?.('failed');
    await decided(run, 'failed', reason);
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
        if (late) await serialized(run.sourceId, () => decided(run, 'superseded', late));
      }
      for (const sourceId of new Set(runs.map((r) => r.sourceId)))
        await serialized(sourceId, () => retain(sourceId, d.log));
    },
  };
}
