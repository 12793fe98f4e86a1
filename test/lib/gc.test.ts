import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbage } from '../../lib/gc.ts';

describe('collectGarbage', () => {
  it.each([false, true])(
    'collects what nothing references, without node flags (release: %s)',
    async (release) => {
      // Made in a function of its own, so nothing on this frame still references it.
      const ref = ((): WeakRef<object> => new WeakRef({ payload: Buffer.alloc(1 << 20) }))();
      await tick(); // a WeakRef keeps its target alive until the job that made it ends
      collectGarbage({ release });
      expect(ref.deref()).toBeUndefined();
    },
  );
});
