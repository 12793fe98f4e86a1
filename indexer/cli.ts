// `indexer`: the long-running service.
import type { Command } from 'commander';
import { action } from '../lib/cli.ts';
import { runStage } from '../lib/service.ts';
import { indexerConfig } from './config.ts';
import { startIndexer } from './service.ts';

const indexerEnvironment = `
Environment:
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ELASTICSEARCH_URL, TOPIC_HTML_PAGES, INDEX_PREFIX
                          where the services are and which names to use (see docs/configuration.md);
                          set the same values for the producer, the transformer and ops
  INDEXER_GROUP_ID        consumer group (default <INDEX_PREFIX>-indexer)
  INDEX_MAX_SHRINK, INDEX_KEEP_PREVIOUS, INDEX_* and INDEXER_*
                          guards, retention and bulk sizes (see indexer/README.md)
  METRICS_HOST, METRICS_PORT
                          where /livez, /readyz and /metrics listen (default 127.0.0.1, any free port)
  LOG_LEVEL               pino level (default info)`;

export function registerIndexer(program: Command): void {
  program
    .command('indexer')
    .description('Kafka -> Elasticsearch: index each run, verify it, flip the alias (until SIGTERM)')
    .addHelpText('after', indexerEnvironment)
    .action(
      action(async () => {
        const cfg = indexerConfig();
        await runStage('indexer', (deps) => startIndexer(cfg, deps));
      }),
    );
}
