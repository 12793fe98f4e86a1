// Simulated crashes, for the crash tests: at a named point the service throws and writes and commits
// nothing more, as if the process had been killed there.
import type { Logger } from '../lib/log.ts';

/** Where a simulated crash may strike: after a bulk, after a marker, just before the flip. */
export type CrashPoint = 'after-bulk' | 'after-marker' | 'before-flip';

/** A simulated crash: the service's `done` rejects with it. */
export class Crash extends Error {}

export function crashHooks(crashAt: ((point: CrashPoint) => boolean) | undefined, log: Logger) {
  let halted = false;
  return {
    /** True once a crash struck: no further call goes out. */
    halted: () => halted,
    checkpoint(point: CrashPoint): void {
      if (halted || crashAt?.(point)) {
        halted = true;
        log.warn({ point }, 'simulated crash');
        throw new Crash(`simulated crash at ${point}`);
      }
    },
    /** At the end of a chunk: a crash that struck in a call whose error was swallowed still stops it. */
    assertAlive(): void {
      if (halted) throw new Crash('halted');
    },
  };
}
