// How many requests to Confluence may be in flight, adapted to what the site says: halved on a 429 or
// an `X-RateLimit-NearLimit` warning, grown back by one after a run of clean answers (additive
// increase, multiplicative decrease, as TCP does), never above what the operator set
// (PRODUCER_CONCURRENCY) nor below one. No I/O: callers report what happened.

export interface Pace {
  /** Waits for a slot; call the returned function when the request is answered. */
  acquire(): Promise<() => void>;
  /** The site warned (NearLimit) or refused (429): halve the window. */
  slowDown(): void;
  /** A clean answer: after `window` of them in a row the window grows by one. */
  ok(): void;
  /** Requests allowed in flight now. */
  readonly window: number;
}

export function createPace(max: number): Pace {
  let window = max;
  let inFlight = 0;
  let clean = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    inFlight--;
    drain();
  };
  const drain = () => {
    while (inFlight < window && waiting.length > 0) {
      inFlight++;
      waiting.shift()!();
    }
  };
  return {
    acquire() {
      return new Promise((resolve) => {
        waiting.push(() => resolve(release));
        drain();
      });
    },
    slowDown() {
      window = Math.max(1, Math.floor(window / 2));
      clean = 0;
    },
    ok() {
      if (window >= max || ++clean < window) return;
      window++;
      clean = 0;
      drain();
    },
    get window() {
      return window;
    },
  };
}
