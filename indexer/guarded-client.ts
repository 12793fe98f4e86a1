// The indexer's Elasticsearch client: every call waits out an outage (retry.ts), and while it waits
// the service is not ready, the wait is visible in a metric and the Kafka session is kept alive.
import type { ServicesConfig } from '../lib/config.ts';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { Logger } from '../lib/log.ts';
import type { StageDeps } from '../lib/service.ts';
import type { crashHooks } from './crash.ts';
import type { IndexerMetrics } from './metrics.ts';
import { waitingElasticsearch } from './retry.ts';

export interface GuardDeps {
  log: Logger;
  crash: ReturnType<typeof crashHooks>;
  metrics: IndexerMetrics;
  setReady: StageDeps['setReady'];
  heartbeat(): Promise<void>;
}

export function guardedElasticsearch(plain: Elasticsearch, cfg: ServicesConfig, d: GuardDeps) {
  let stopping = false;
  // Stale runs are judged only on time the indexer could see records (see `staleness`).
  let watchingSince = Date.now();
  const es = waitingElasticsearch(plain, cfg, {
    halted: d.crash.halted,
    stopping: () => stopping,
    async onWait(err: unknown, attempt: number) {
      if (attempt === 0)
        d.log.warn({ err: (err as Error).message }, 'elasticsearch unavailable: waiting, nothing committed');
      d.setReady(false, `elasticsearch unavailable: ${(err as Error).message}`);
      d.metrics.waiting.set(1);
      await d.heartbeat();
    },
    onRecovered() {
      d.log.info('elasticsearch is back: resuming');
      watchingSince = Date.now();
      d.setReady(true);
      d.metrics.waiting.set(0);
    },
  });
  return {
    es,
    watchingSince: () => watchingSince,
    /** The service is stopping: calls stop waiting (nothing gets committed). */
    stopping(): void {
      stopping = true;
    },
  };
}
