// Shared by the producer tests: a simulator-backed config and client, the pages a full pull must end up with, and
// a logger that keeps every line in memory (unscrubbed, so a leak in our own code cannot hide).
import { Writable } from 'node:stream';
import pino from 'pino';
import { producerConfig, type ProducerConfig } from '../../producer/config.ts';
import { createConfluenceClient, type ConfluenceClient } from '../../producer/confluence-client.ts';
import { DEFAULT_USERS, type SimHandle } from '../../sim/index.ts';
import type { Logger } from '../../lib/log.ts';

export function captureLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

/** Fast retries: the decisions themselves are unit-tested in retry.test.ts. */
export const fastRetries = { PRODUCER_MAX_RETRIES: '6', PRODUCER_RETRY_AFTER_CAP_S: '1' };

export function simEnv(sim: SimHandle, extra: Record<string, string> = {}): Record<string, string> {
  return {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    ...fastRetries,
    ...extra,
  };
}

export function simConfig(sim: SimHandle, extra: Record<string, string> = {}): ProducerConfig {
  const cfg = producerConfig(simEnv(sim, extra));
  // Retry-After from the sim is 1 s; tests keep the cap low so storms stay cheap.
  return { ...cfg, retry: { ...cfg.retry, baseDelayMs: 5, maxDelayMs: 50, retryAfterCapMs: 50 } };
}

/** A Confluence client for the simulator, with the tests' fast retries. */
export function simClient(sim: SimHandle, log: Logger): ConfluenceClient {
  const cfg = simConfig(sim);
  return createConfluenceClient({
    apiUrl: cfg.siteUrl,
    authorization: cfg.authorization,
    proxy: cfg.proxy,
    connections: 4,
    requestTimeoutMs: 10_000,
    retry: cfg.retry,
    log,
  });
}

/** Ids of the current pages a user (default: the full-access one) can read: what a pull must emit, exactly. */
export function expectedPageIds(sim: SimHandle, email?: string): string[] {
  const user = (email && sim.admin.state.users.get(email)) || {
    ...DEFAULT_USERS[0]!,
    access: 'full' as const,
  };
  return sim.admin.state
    .filterPages(user, { statuses: ['current'] })
    .map((p) => String(p.id))
    .sort();
}
