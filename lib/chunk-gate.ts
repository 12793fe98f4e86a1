// Chunks of a consumer's partitions run side by side, but a chunk of one oversized record (a page of
// megabytes) runs alone: two such pages converted at once, or one beside the other partitions' chunks,
// were a stage's memory peaks, more often the larger the site (bench/README.md#end-to-end-memory).
// A waiting oversized chunk goes before chunks that arrive after it, so it is never starved.
import { createWakeUp } from './wake-up.ts';

export interface ChunkGate {
  /** Resolves when the chunk may start; `alone` waits for every running chunk and keeps others out. */
  enter(alone: boolean): Promise<void>;
  /** The chunk is done (or failed): the next ones may start. */
  leave(alone: boolean): void;
}

export function createChunkGate(): ChunkGate {
  let running = 0;
  let aloneRunning = false;
  let aloneWaiting = 0;
  const changed = createWakeUp();
  return {
    async enter(alone) {
      if (!alone) {
        while (aloneRunning || aloneWaiting > 0) await changed.next();
      } else {
        aloneWaiting++;
        while (aloneRunning || running > 0) await changed.next();
        aloneWaiting--;
        aloneRunning = true;
      }
      running++;
    },
    leave(alone) {
      running--;
      if (alone) aloneRunning = false;
      changed.wakeAll();
    },
  };
}
