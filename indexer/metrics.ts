// The indexer's own metrics (the consumer loop adds lag and skipped records).
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type IndexerMetrics = ReturnType<typeof indexerMetrics>;

export function indexerMetrics(registry: Registry) {
  const docs = new Counter({
    name: 'indexer_docs_indexed_total',
    help: 'Pages written to run indices',
    registers: [registry],
  });
  const bulkSeconds = new Histogram({
    name: 'indexer_bulk_seconds',
    help: 'Bulk request latency',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [registry],
  });
  const bulkBytes = new Counter({
    name: 'indexer_bulk_bytes_total',
    help: 'Bytes sent in bulk requests',
    registers: [registry],
  });
  const runs = new Counter({
    name: 'indexer_runs_total',
    help: 'Runs decided, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const waiting = new Gauge({
    name: 'indexer_elasticsearch_waiting',
    help: '1 while waiting for Elasticsearch',
    registers: [registry],
  });
  return {
    docs,
    runs,
    waiting,
    observeBulk(seconds: number, _docs: number, bytes: number) {
      bulkSeconds.observe(seconds);
      bulkBytes.inc(bytes);
    },
  };
}
