// Waiting out Elasticsearch, applied once by wrapping the client (as undici composes a dispatcher):
// every API call of the wrapped client retries what lib/errors.ts calls retriable (no answer, 429, 5xx)
// until Elasticsearch answers or the service stops, without committing anything meanwhile. The
// indexer service uses the wrapped client; `ops`, the search endpoint and the sources API use the
// plain one and fail fast, because a person or a caller is waiting for the answer.
import type { ServicesConfig } from '../lib/config.ts';
import { elasticsearchError, type Elasticsearch } from '../lib/elasticsearch.ts';
import { isRetriable } from '../lib/errors.ts';

/** 429 (overloaded, or disk flood-stage) and 5xx: a bulk item refused for now, worth sending again. */
export function isRetryableStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500);
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

// The client's API groups (es.indices.create, es.cluster.health, …): their calls are wrapped too.
const API_GROUPS = new Set(['indices', 'cluster', 'security', 'tasks', 'ingest', 'snapshot', 'nodes', 'cat']);
// Client methods that are not requests to the cluster.
const NOT_REQUESTS = new Set(['close', 'child', 'extend']);

/** `es` with the wait policy on every request it makes; `close` and the rest pass through. */
export function waitingElasticsearch(
  es: Elasticsearch,
  cfg: ServicesConfig,
  waiting: Waiting,
): Elasticsearch {
  const wait = async <T>(call: () => Promise<T>): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      if (waiting.halted()) throw new Stopped('halted');
      try {
        const result = await call();
        if (attempt > 0) waiting.onRecovered();
        return result;
      } catch (err) {
        if (!isRetriable(elasticsearchError(cfg, err))) throw err;
        if (waiting.stopping()) throw new Stopped('stopped while waiting for Elasticsearch');
        await waiting.onWait(err, attempt);
        await sleep(backoffMs(attempt, 200, 5_000));
      }
    }
  };
  const wrap = <T extends object>(target: T, top: boolean): T =>
    new Proxy(target, {
      get(t, prop) {
        const value: unknown = Reflect.get(t, prop, t);
        if (typeof value === 'function') {
          const fn = value as (...args: unknown[]) => unknown;
          if (top && NOT_REQUESTS.has(String(prop))) return fn.bind(t);
          return (...args: unknown[]) => wait(() => Promise.resolve(fn.apply(t, args)));
        }
        if (top && API_GROUPS.has(String(prop)) && value && typeof value === 'object')
          return wrap(value, false);
        return value;
      },
    });
  return wrap(es, true);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
