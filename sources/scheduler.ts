// The scheduler of one instance: every second it looks at the sources its group membership gives it,
// asks the rules (schedule.ts) which are due, starts as many pulls as the global cap allows, publishes
// each running pull's progress to the status topic, and stops pulls it no longer owns or whose source
// was deleted. One source's failure or crash is that source's run only: nothing here waits on another.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { partitionOf } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';
import { scrub } from '../lib/secrets.ts';
import { UserError } from '../lib/errors.ts';
import type { LiveProgress } from '../producer/progress.ts';
import { runPull, type PullConnection, type RunSummary } from '../producer/run.ts';
import type { SourcesConfig } from './config.ts';
import type { Membership } from './membership.ts';
import { recordConfig } from './pull.ts';
import type { SourceRecord } from './record.ts';
import { dueAt, missedSlots, pickDue, scheduleInputOf } from './schedule.ts';
import type { SecretKey } from './secret-box.ts';
import { runningElsewhere, type LastRun, type RunningPull, type SourceStatus } from './status.ts';
import type { TopicView } from './topic-view.ts';

export interface SchedulerDeps {
  cfg: SourcesConfig;
  sources: TopicView<SourceRecord>;
  status: TopicView<SourceStatus>;
  membership: Membership;
  /** Partitions of the sources topic: a source belongs to partition partitionOf(id). */
  sourcePartitions: number;
  key: SecretKey;
  connection: PullConnection;
  instance: string;
  log: Logger;
  metrics: Registry;
  tickMs?: number;
}

interface Pull {
  abort: AbortController;
  startedAt: number;
  dueAt: number;
  progress: RunningPull;
  done: Promise<void>;
}

/** A status older than this is a dead instance's: a few missed publishes. */
export const staleAfter = (cfg: SourcesConfig) => 3 * cfg.statusEveryMs + 1000;

export function startScheduler(d: SchedulerDeps) {
  const { cfg, log } = d;
  const pulls = new Map<string, Pull>();
  const staleMs = staleAfter(cfg);
  const m = metricsOf(d.metrics);
  let stopping = false;

  const owns = (id: string) => d.membership.partitions.has(partitionOf(id, d.sourcePartitions));

  // One write at a time per source, so a late heartbeat never lands after the pull's final status.
  const writing = new Map<string, Promise<void>>();
  const publish = (id: string, patch: Partial<SourceStatus>): Promise<void> => {
    const write = async () => {
      const next: SourceStatus = {
        sourceId: id,
        running: null,
        lastRun: null,
        lastStartedAt: null,
        lastDueAt: null,
        ...d.status.get(id),
        ...patch,
        instance: d.instance,
        at: Date.now(),
      };
      await d.status
        .put(id, next)
        .catch((err: unknown) => log.warn({ err, sourceId: id }, 'status not published'));
    };
    const chained = (writing.get(id) ?? Promise.resolve()).then(write);
    writing.set(id, chained);
    void chained.then(() => writing.get(id) === chained && writing.delete(id));
    return chained;
  };

  async function pull(record: SourceRecord, p: Pull, full: boolean) {
    const id = record.id;
    const runLog = log.child({ sourceId: id });
    let last: LastRun;
    try {
      const summary: RunSummary = await runPull(recordConfig(cfg.producer, d.key, record), {
        log: runLog,
        signal: p.abort.signal,
        connection: d.connection,
        full,
        onProgress: (progress: LiveProgress) => (p.progress = progress),
      });
      last = {
        runId: summary.runId,
        status: summary.status,
        startedAt: p.startedAt,
        endedAt: Date.now(),
        pages: summary.pages,
        error: summary.error,
        hint: summary.hint,
      };
    } catch (err) {
      // No run was started (Kafka, the registry, the stored token): try again on the next slot.
      runLog.error({ err }, 'pull could not start; waiting for the next slot');
      last = {
        runId: null,
        status: 'NOT_STARTED',
        startedAt: p.startedAt,
        endedAt: Date.now(),
        pages: 0,
        error: scrub((err as Error).message ?? String(err)),
        hint: err instanceof UserError && err.hint ? scrub(err.hint) : null,
      };
    }
    m.pulls.inc({ status: last.status });
    pulls.delete(id);
    m.running.set(pulls.size);
    await publish(id, { running: null, lastRun: last });
  }

  function start(record: SourceRecord, due: number, now: number) {
    const p: Pull = {
      abort: new AbortController(),
      startedAt: now,
      dueAt: due,
      progress: blankProgress(now),
      done: Promise.resolve(),
    };
    pulls.set(record.id, p);
    m.running.set(pulls.size);
    const scheduled = record.runRequestedAt === null || record.runRequestedAt !== due;
    if (scheduled) {
      m.lateness.observe(Math.max(0, now - due) / 1000);
      m.missed.inc(missedSlots(due, now, record.schedule.everyMs));
    }
    log.info({ sourceId: record.id, dueAt: new Date(due).toISOString(), lateMs: now - due }, 'pull starting');
    p.done = publish(record.id, { running: p.progress, lastStartedAt: now, lastDueAt: due }).then(() =>
      // A full run only for the run now that asked for one, never for the schedule's slots.
      pull(record, p, !scheduled && record.fullRequested === true),
    );
  }

  function tick() {
    if (stopping) return;
    const now = Date.now();
    const due: { id: string; dueAt: number | null }[] = [];
    let owned = 0;
    for (const r of d.sources.values()) {
      if (!owns(r.id)) continue;
      owned++;
      const s = d.status.get(r.id);
      if (pulls.has(r.id) || runningElsewhere(s, d.instance, now, staleMs)) continue;
      due.push({ id: r.id, dueAt: dueAt(scheduleInputOf(r, s?.lastStartedAt ?? null, cfg.maxJitterMs)) });
    }
    m.owned.set(owned);
    for (const id of pickDue(due, new Set(pulls.keys()), cfg.maxConcurrentPulls, now)) {
      const record = d.sources.get(id)!;
      start(record, due.find((x) => x.id === id)!.dueAt!, now);
    }
    // Deleted, or moved to another instance: stop (the run ends with ABORT markers, nothing goes live).
    for (const [id, p] of pulls) {
      const why = !d.sources.get(id)
        ? 'the source was deleted'
        : !owns(id)
          ? 'the source moved to another instance'
          : null;
      if (why && !p.abort.signal.aborted) {
        log.info({ sourceId: id, why }, 'stopping pull');
        p.abort.abort(new Error(`stopped: ${why}`));
      }
    }
  }

  /** Running pulls tell the status topic how far they got, and that their instance is alive. */
  function heartbeat() {
    for (const [id, p] of pulls) if (!writing.has(id)) void publish(id, { running: p.progress });
  }

  const ticker = setInterval(tick, d.tickMs ?? 1000);
  const beat = setInterval(heartbeat, cfg.statusEveryMs);
  d.membership.onChange(() => setImmediate(tick));
  d.sources.onChange(() => setImmediate(tick));
  setImmediate(tick);

  return {
    /** Pulls running on this instance now. */
    running: () => [...pulls.keys()],
    /** Stops scheduling, aborts the pulls in hand (ABORT markers) and waits for them to end. */
    async stop(): Promise<void> {
      stopping = true;
      clearInterval(ticker);
      clearInterval(beat);
      for (const p of pulls.values()) p.abort.abort(new Error('stopped: the sources service is stopping'));
      await Promise.all([...pulls.values()].map((p) => p.done));
    },
  };
}

function blankProgress(now: number): RunningPull {
  return {
    runId: null,
    startedAt: now,
    spacesDone: 0,
    spacesTotal: 0,
    pages: 0,
    pagesPerSecond: 0,
    etaSeconds: null,
    requests: 0,
    retries: 0,
    rateLimited: 0,
  };
}

function metricsOf(registry: Registry) {
  const registers = [registry];
  return {
    pulls: new Counter({
      name: 'sources_pulls_total',
      help: 'Pulls by outcome',
      labelNames: ['status'],
      registers,
    }),
    running: new Gauge({ name: 'sources_pulls_running', help: 'Pulls running on this instance', registers }),
    owned: new Gauge({ name: 'sources_owned', help: 'Sources this instance schedules', registers }),
    lateness: new Histogram({
      name: 'sources_start_lateness_seconds',
      help: 'How long after its slot a scheduled pull started',
      buckets: [1, 5, 30, 60, 300, 900, 3600],
      registers,
    }),
    missed: new Counter({
      name: 'sources_missed_slots_total',
      help: 'Schedule slots that passed without a pull (a pull started more than one interval late)',
      registers,
    }),
  };
}
