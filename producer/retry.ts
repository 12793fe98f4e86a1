// When to try a Confluence request again, and how long to wait first. Pure decisions: the client does
// the waiting. Rate limits (429, or 503 with Retry-After) are honoured up to a cap, so an absurd
// Retry-After cannot stall a run for a year; everything else backs off exponentially. Both add jitter
// so concurrent workers do not come back in lock-step.

export interface RetryPolicy {
  /** Retries per request (attempts = maxRetries + 1); a request still failing then fails the run. */
  maxRetries: number;
  /** First backoff step; doubles each retry. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest Retry-After honoured; longer ones wait this long. */
  retryAfterCapMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxRetries: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  retryAfterCapMs: 60_000,
};

/** Retry-After as delta-seconds or an HTTP date → milliseconds to wait (undefined when absent or unreadable). */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long to wait before retry number `retry` (0 = the first retry), or undefined to give up.
 * `retryAfterMs` is what the server asked for, if anything. `random` is in [0, 1).
 */
export function retryDelay(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: number = Math.random(),
): number | undefined {
  if (retry >= policy.maxRetries) return undefined;
  if (retryAfterMs !== undefined) {
    const cap = policy.retryAfterCapMs;
    // Never sooner than asked (below the cap); at the cap, spread the wake-ups below it.
    if (retryAfterMs >= cap) return cap * (1 - 0.1 * random);
    return Math.min(cap, retryAfterMs + random * Math.min(1_000, 0.1 * retryAfterMs + 100));
  }
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return step / 2 + (random * step) / 2;
}
