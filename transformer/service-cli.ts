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
  METRICS_HOST, METRICS_PORT
                          where /livez, /readyz and /metrics listen (default 127.0.0.1, any free port)
  LOG_LEVEL               pino level (default info)`,
    )
    .action(
      action(async () => {
        // Loaded only when the service runs, so the CLI's other commands start fast.
        const { startTransformer, transformerConfig } = await import('./service.ts');
        const { createLogger } = await import('../lib/log.ts');
        const { startService } = await import('../lib/service.ts');
        const cfg = transformerConfig();
        const log = createLogger('transformer');
        const { createKafka, kafkaReadiness } = await import('../lib/kafka.ts');
        const service = await startService('transformer', log);
        const kafkaProbe = kafkaReadiness(createKafka(cfg, 'transformer-probe', log));
        service.readyWhen('kafka', kafkaProbe.check);
        try {
          const transformer = await startTransformer(cfg, { log, metrics: service.metrics });
          const crashed = transformer.done.catch((err: Error) => {
            service.setLive(false, err.message);
            throw err;
          });
          try {
            await Promise.race([service.stopped, crashed]);
          } finally {
            await transformer.stop();
          }
        } finally {
          await kafkaProbe.close();
          await service.close();
        }
      }),
    );
}
