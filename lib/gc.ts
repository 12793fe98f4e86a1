// Full collections around a record larger than a whole chunk (it comes alone: a page of megabytes, a
// few in 10,000). Converting or indexing one needs tens of MB at once; left to V8, that comes on top of
// the garbage it has not collected yet (up to 64 MB of Buffers before external memory forces a
// collection) and of the heap it keeps committed after one, and a stage's peak is that coincidence
// (bench/README.md#end-to-end-memory). The pages are rare, so the collections cost little.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (opts?: { type: 'major'; execution: 'sync'; flavor?: 'regular' | 'last-resort' }) => void;
let gc: Gc | undefined;

/**
 * A full collection now. `release`: V8's last-resort collection, which also gives the pages it emptied
 * back to the system (~100 ms on a stage's heap; a plain one keeps them committed for the heap's reuse).
 * V8's `gc` is taken on first use, after the service's modules are compiled: its code cache is keyed by
 * V8's flags.
 */
export function collectGarbage({ release = false } = {}): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  }
  gc({ type: 'major', execution: 'sync', flavor: release ? 'last-resort' : 'regular' });
}
