// The run id format, defined once: a ULID (unique, and sorts by creation time), which is also what
// makes "an older run finishing late" detectable by plain comparison.
import { monotonicFactory } from 'ulid';

const next = monotonicFactory();

export function newRunId(now = Date.now()): string {
  return next(now);
}

/** Run ids compare in time order. */
export function isNewerRun(a: string, b: string): boolean {
  return a > b;
}
