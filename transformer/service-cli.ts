import type { Command } from 'commander';
import { action } from '../lib/cli.ts';

export function registerTransformer(program: Command): void {
  program
    .command('transformer')
    .description(
      'the transformer service: raw pages topic -> sanitized HTML pages topic (failures also to the dead-letter topic), until SIGTERM',
    )
    .addHelpText(
      'after',
      `
Environment:
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_RAW_PAGES, TOPIC_HTML_PAGES, TOPIC_DEAD_LETTER, TOPIC_PARTITIONS
                          see docs/configuration.md
  TRANSFORMER_GROUP_ID    consumer group (default <INDEX_PREFIX>-transformer)
  TRANSFORMER_SESSION_TIMEOUT_MS
                          how long a crashed instance keeps its partitions (default 30000, min 6000)
  METRICS_PORT            port of /healthz and /metrics (default: any free port, logged at start)
  LOG_LEVEL               pino level (default info)`,
    )
    .action(
      action(async () => {
        // Loaded only when the service runs, so the CLI's other commands start fast.
        const { startTransformer, transformerConfig } = await import('./service.ts');
        const { runStage } = await import('../lib/service.ts');
        const cfg = transformerConfig();
        await runStage('transformer', (deps) => startTransformer(cfg, deps));
      }),
    );
}
