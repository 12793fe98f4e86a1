// What is happening to each source, on a compacted status topic keyed by source id (as Kafka Connect
// keeps connector status): the pull running now with its live progress, the last pull's outcome, when
// the next one is due, and which instance owns it. The instance that pulls writes it every few seconds;
// every instance reads it, so the API shows the same progress whichever instance answers, and a new
// owner knows when the source last ran and whether a pull is still going on elsewhere.
import { z } from 'zod';
import type { LiveProgress } from '../producer/progress.ts';

const liveProgress = z.object({
  runId: z.string(),
  startedAt: z.number(),
  spacesDone: z.number(),
  spacesTotal: z.number(),
  pages: z.number(),
  pagesPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  requests: z.number(),
  retries: z.number(),
  rateLimited: z.number(),
}) satisfies z.ZodType<LiveProgress>;

/** A pull's progress; runId is null for the moment between its start and the run's first record. */
export const runningPull = liveProgress.extend({ runId: z.string().nullable() });

export const lastRun = z.object({
  runId: z.string().nullable(),
  status: z.enum(['SUCCEEDED', 'FAILED', 'NOT_STARTED']),
  startedAt: z.number(),
  endedAt: z.number(),
  pages: z.number(),
  error: z.string().nullable(),
  hint: z.string().nullable(),
});

export const sourceStatus = z.looseObject({
  sourceId: z.string(),
  /** The instance that wrote this (host:pid:random). */
  instance: z.string(),
  /** When it was written: a running pull's status older than a few publish intervals is stale. */
  at: z.number(),
  running: runningPull.nullable(),
  lastRun: lastRun.nullable(),
  /** When the last pull started: the schedule's anchor for the next slot. */
  lastStartedAt: z.number().nullable(),
  /** The slot the last pull was started for (to tell how late it started). */
  lastDueAt: z.number().nullable(),
});
export type SourceStatus = z.infer<typeof sourceStatus>;
export type LastRun = z.infer<typeof lastRun>;
export type RunningPull = z.infer<typeof runningPull>;

export function parseStatus(json: unknown): SourceStatus | undefined {
  const r = sourceStatus.safeParse(json);
  return r.success ? r.data : undefined;
}

/**
 * True while another instance's pull of the source may still be going: its status says running and was
 * written recently. After `staleMs` without a word, its writer is taken for dead.
 */
export function runningElsewhere(
  s: SourceStatus | undefined,
  me: string,
  now: number,
  staleMs: number,
): boolean {
  return s?.running != null && s.instance !== me && now - s.at < staleMs;
}
