// One chunk of the HTML topic, in order. A marker comes after the pages before it, so those are written
// first; runs a marker of the chunk may have completed are finalized before the chunk is committed (a
// crash after that redelivers the markers, and finalizing again is harmless).
import type { Entry } from '../lib/consumer.ts';
import type { IndexerEvent, MarkerEvent, IndexerChange } from '../schemas/index.ts';
import type { crashHooks } from './crash.ts';
import type { createFinalizer } from './finalize.ts';
import type { RunCache } from './run-cache.ts';
import type { RunIndex } from './run-index.ts';

export interface ChunkDeps {
  runs: RunCache;
  finalizer: ReturnType<typeof createFinalizer>;
  crash: ReturnType<typeof crashHooks>;
}

export function chunkHandler({ runs, finalizer, crash }: ChunkDeps) {
  /** Pages, failures and removals of one stretch between markers, each run's in its own bulk. */
  const indexEvents = async (events: IndexerChange[]) => {
    const byRun = new Map<RunIndex, IndexerChange[]>();
    for (const event of events) {
      const run = await runs.receive(event);
      byRun.set(run, [...(byRun.get(run) ?? []), event]);
    }
    let written = 0;
    for (const [run, list] of byRun) written += await run.index(list);
    if (written > 0) crash.checkpoint('after-bulk');
  };

  const recordMarker = async (event: MarkerEvent<IndexerEvent>) => {
    const run = await runs.receive(event, true);
    await run.recordMarker(event);
    crash.checkpoint('after-marker');
  };

  return async (entries: Entry<IndexerEvent>[]): Promise<void> => {
    const marked = new Set<string>();
    let pending: IndexerChange[] = [];
    for (const entry of entries) {
      if (entry.kind === 'skipped') continue; // logged and counted by the consumer
      const event = entry.value;
      if (event.marker) {
        await indexEvents(pending);
        pending = [];
        await recordMarker(event);
        marked.add(event.runId);
      } else pending.push(event);
    }
    await indexEvents(pending);
    for (const runId of marked) await finalizer.finalize(runId);
    crash.assertAlive();
  };
}
