// A site that rate-limits, pulled at the default PRODUCER_CONCURRENCY: the pace (producer/pace.ts) must
// hear the simulator's X-RateLimit-NearLimit warnings and 429s and bring the requests in flight down to
// what the site allows, so almost every request is answered the first time (measured at 8: 0–2 of 120
// refused). With the window stuck at 8, refusals piled up until one request gave up after its retries
// (at 4: 28 refusals in 148 attempts).
import { describe, expect, it } from 'vitest';
import { createConfluenceClient } from '../../producer/confluence-client.ts';
import { startSim } from '../../sim/index.ts';
import { captureLogger, simConfig } from './helpers.ts';

describe('a site that warns, at the default concurrency', () => {
  it('is slowed down by the pace: every request answered, few refused', async () => {
    const sim = await startSim({ seed: 3, spaces: 1, pages: 10, latencyMs: 100, rateLimit: 20 });
    const cfg = simConfig(sim);
    const { log } = captureLogger();
    const client = createConfluenceClient({
      apiUrl: cfg.siteUrl,
      authorization: cfg.authorization,
      proxy: cfg.proxy,
      connections: cfg.concurrency, // the default ceiling, whatever it is
      requestTimeoutMs: 10_000,
      retry: cfg.retry,
      log,
    });
    const requests = 120; // ~6 s at the site's 20 per second
    try {
      await Promise.all(Array.from({ length: requests }, () => client.getJson('/wiki/api/v2/spaces')));
    } finally {
      await client.close();
      await sim.close();
    }
    expect(client.stats.requests - client.stats.retries).toBe(requests);
    expect(client.stats.rateLimited).toBe(client.stats.retries);
    expect(client.stats.rateLimited).toBeLessThan(requests * 0.1);
  }, 30_000);
});
