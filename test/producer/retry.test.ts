import { describe, expect, it } from 'vitest';
import { defaultRetryPolicy, parseRetryAfter, retryDelay } from '../../producer/retry.ts';

const policy = { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 1_000, retryAfterCapMs: 60_000 };

describe('retry decisions', () => {
  it('backs off exponentially with jitter, capped, and gives up after maxRetries', () => {
    expect(retryDelay(policy, 0, undefined, 0)).toBe(50);
    expect(retryDelay(policy, 0, undefined, 0.999)).toBeCloseTo(100, 0);
    expect(retryDelay(policy, 2, undefined, 0)).toBe(200);
    expect(retryDelay(policy, 3, undefined, 1)).toBe(800);
    expect(retryDelay({ ...policy, maxRetries: 10 }, 8, undefined, 1)).toBe(1_000);
    expect(retryDelay(policy, 4, undefined, 0.5)).toBeUndefined();
  });

  it('jitter spreads concurrent retries', () => {
    const delays = new Set([0.1, 0.4, 0.7].map((r) => retryDelay(policy, 1, undefined, r)));
    expect(delays.size).toBe(3);
  });

  it('honours Retry-After, never waiting less than asked below the cap', () => {
    for (const r of [0, 0.5, 0.999]) {
      const d = retryDelay(policy, 0, 5_000, r)!;
      expect(d).toBeGreaterThanOrEqual(5_000);
      expect(d).toBeLessThanOrEqual(5_600);
    }
  });

  it('caps an absurd Retry-After (a year) at the cap, with jitter below it', () => {
    const d = retryDelay(defaultRetryPolicy, 0, 31_536_000_000, 0.5)!;
    expect(d).toBeLessThanOrEqual(60_000);
    expect(d).toBeGreaterThanOrEqual(54_000);
  });

  it('still gives up on endless 429s', () => {
    expect(retryDelay(policy, 4, 1_000, 0)).toBeUndefined();
  });

  it('parses Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('7')).toBe(7_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
  });
});
