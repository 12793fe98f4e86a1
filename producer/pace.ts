// How many requests to Confluence may be in flight, adapted to what the site says: halved on a 429, a
// 503 with Retry-After or an `X-RateLimit-NearLimit` warning, grown back by one after a run of clean answers (additive
// increase, multiplicative decrease, as TCP does), never above what the operator set
// (PRODUCER_CONCURRENCY) nor below one. No I/O: callers report what happened.

/**
 * Whether an answer asks for fewer requests in flight: a 429, an `X-RateLimit-NearLimit: true` warning,
 * or a 503 with Retry-After. Atlassian limits Cloud "by concurrency and resource limits" rather than a
 * published rate (jira.atlassian.com/browse/CONFCLOUD-71116), and an overloaded site or gateway answers
 * 503 with Retry-After: the same request for less pressure as a 429.
 */
export function asksToSlowDown(status: number, header: (name: string) => string | undefined): boolean {
  if (status === 429) return true;
  if (status === 503 && header('retry-after') !== undefined) return true;
  return header('x-ratelimit-nearlimit') === 'true';
}

export interface Pace {
  /**
   * Waits for a slot; call the returned function when the request is answered. Requests `ahead` (a
   * listing's next page) get the next free slot before any other waiting request.
   */
  acquire(ahead?: boolean): Promise<() => void>;
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
  const waitingAhead: (() => void)[] = [];
  const release = () => {
    inFlight--;
    drain();
  };
  const drain = () => {
    while (inFlight < window && waitingAhead.length + waiting.length > 0) {
      inFlight++;
      (waitingAhead.shift() ?? waiting.shift())!();
    }
  };
  return {
    acquire(ahead = false) {
      return new Promise((resolve) => {
        (ahead ? waitingAhead : waiting).push(() => resolve(release));
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
