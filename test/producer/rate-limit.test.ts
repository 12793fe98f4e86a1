// A site that rate-limits, pulled at the default PRODUCER_CONCURRENCY: the pace (producer/pace.ts) must
// hear the simulator's X-RateLimit-NearLimit warnings and 429s and bring the requests in flight down to
// what the site allows, so almost every request is answered the first time (measured at 8: 0–2 of 120
// refused). With the window stuck at 8, refusals piled up until one request gave up after its retries
// (at 4: 28 refusals in 148 attempts).
import { afterEach, describe, expect, it } from 'vitest';
import { createConfluenceClient, type ConfluenceClient } from '../../producer/confluence-client.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { captureLogger, simConfig } from './helpers.ts';

let sim: SimHandle | undefined;
let client: ConfluenceClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  client = sim = undefined;
});

describe('a site that warns, at the default concurrency', () => {
  it('is slowed down by the pace: every request answered, few refused', async () => {
    sim = await startSim({ seed: 3, spaces: 1, pages: 10, latencyMs: 100, rateLimit: 20 });
    const cfg = simConfig(sim);
    const { log } = captureLogger();
    client = createConfluenceClient({
      apiUrl: cfg.siteUrl,
      authorization: cfg.authorization,
      proxy: cfg.proxy,
      connections: cfg.concurrency, // the default ceiling, whatever it is
      requestTimeoutMs: 10_000,
      retry: cfg.retry,
      log,
    });
    const requests = 120; // ~6 s at the site's 20 per second
    const c = client;
    await Promise.all(Array.from({ length: requests }, () => c.getJson('/wiki/api/v2/spaces')));
    expect(c.stats.requests - c.stats.retries).toBe(requests);
    expect(c.stats.rateLimited).toBe(c.stats.retries);
    expect(c.stats.rateLimited).toBeLessThan(requests * 0.1);
  }, 30_000);
});
