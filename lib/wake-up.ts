// Waiting for something to change, without polling: `next()` resolves at the next `wakeAll()`, which
// wakes everyone waiting at that moment (each then checks again what it waits for).

export interface WakeUp {
  /** Resolves at the next wakeAll(). */
  next(): Promise<void>;
  wakeAll(): void;
}

export function createWakeUp(): WakeUp {
  let waiting: (() => void)[] = [];
  return {
    next: () => new Promise<void>((resolve) => waiting.push(resolve)),
    wakeAll() {
      const woken = waiting;
      waiting = [];
      woken.forEach((wake) => wake());
    },
  };
}
