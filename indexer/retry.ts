// Waiting out Elasticsearch: which failures are worth retrying, how long to wait, and the loop that
// keeps retrying (without committing anything) until Elasticsearch answers or the service stops.
import { errors } from '@elastic/elasticsearch';

/** 429 (overloaded, or disk flood-stage), 5xx and connection-level failures pass; 4xx are our bugs. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500);
}

/** No answer at all: Elasticsearch is down, unreachable or too slow (not a refusal). */
export function isUnreachable(err: unknown): err is Error {
  return (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  );
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof errors.ResponseError) return isRetryableStatus(err.meta.statusCode);
  return isUnreachable(err);
}

/** Exponential backoff with full jitter, capped. */
export function backoffMs(attempt: number, baseMs = 200, capMs = 10_000, random = Math.random): number {
  return Math.round(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

export class Stopped extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'Stopped';
  }
}

export interface Waiting {
  /** True when a crash is being simulated: no further call goes out. */
  halted(): boolean;
  /** True when the service is stopping: stop waiting for Elasticsearch (nothing gets committed). */
  stopping(): boolean;
  /** Called before each wait: keeps the Kafka session alive, marks the service unhealthy. */
  onWait(err: unknown, attempt: number): Promise<void> | void;
  /** Called once a call succeeds after waiting. */
  onRecovered(): void;
}

/** Wraps each Elasticsearch call: the service waits out outages, the CLI fails fast (`direct`). */
export type Guard = <T>(call: () => Promise<T>) => Promise<T>;
export const direct: Guard = (call) => call();

export function waitingGuard(waiting: Waiting): Guard {
  return async (call) => {
    for (let attempt = 0; ; attempt++) {
      if (waiting.halted()) throw new Stopped('halted');
      try {
        const result = await call();
        if (attempt > 0) waiting.onRecovered();
        return result;
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if (waiting.stopping()) throw new Stopped('stopped while waiting for Elasticsearch');
        await waiting.onWait(err, attempt);
        await sleep(backoffMs(attempt, 200, 5_000));
      }
    }
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
