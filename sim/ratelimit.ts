// Per-credential token bucket: `perSecond` requests per second with a burst of one second's worth.

export interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateDecision {
  allowed: boolean;
  bucket: Bucket;
  limit: number;
  remaining: number;
  /** Whole seconds until a request would be allowed (0 when allowed). */
  retryAfterS: number;
  /** When the bucket is full again (allowed) or the next request passes (denied). */
  resetMs: number;
}

const NEAR_LIMIT_SHARE = 0.2;

export function takeToken(prev: Bucket | undefined, perSecond: number, nowMs: number): RateDecision {
  const elapsed = prev ? Math.max(0, nowMs - prev.updatedMs) / 1000 : Infinity;
  const tokens = Math.min(perSecond, (prev?.tokens ?? perSecond) + elapsed * perSecond);
  if (tokens >= 1) {
    const left = tokens - 1;
    return {
      allowed: true,
      bucket: { tokens: left, updatedMs: nowMs },
      limit: perSecond,
      remaining: Math.floor(left),
      retryAfterS: 0,
      resetMs: nowMs + Math.ceil(((perSecond - left) / perSecond) * 1000),
    };
  }
  const waitMs = ((1 - tokens) / perSecond) * 1000;
  return {
    allowed: false,
    bucket: { tokens, updatedMs: nowMs },
    limit: perSecond,
    remaining: 0,
    retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)),
    resetMs: nowMs + Math.ceil(waitMs),
  };
}

/**
 * Headers Confluence sends with rate-limited traffic; the reset is an ISO 8601 timestamp.
 * `X-RateLimit-NearLimit: true` once less than a fifth of the budget is left (Atlassian's "Rate limiting"
 * page, developer.atlassian.com/cloud/confluence/rate-limiting/: "less than 20% of the budget remains").
 */
export function rateLimitHeaders(d: RateDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(d.limit),
    'X-RateLimit-Remaining': String(d.remaining),
    'X-RateLimit-Reset': new Date(d.resetMs).toISOString(),
  };
  if (d.remaining < d.limit * NEAR_LIMIT_SHARE) headers['X-RateLimit-NearLimit'] = 'true';
  if (!d.allowed) headers['Retry-After'] = String(d.retryAfterS);
  return headers;
}
