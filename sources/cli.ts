// `sources` (the service: API, scheduler and console, until SIGTERM) and `sources new-key`.
import type { Command } from 'commander';
import { action } from '../lib/cli.ts';
import { createLogger } from '../lib/log.ts';
import { sourcesConfig } from './config.ts';
import { newKeyText } from './secret-box.ts';
import { startSources } from './service.ts';

const environment = `
Environment (see docs/sources.md):
  SOURCES_KEY_FILE              file holding the 256-bit key that encrypts stored API tokens (new-key makes one)
  SOURCES_ADMIN_TOKEN_FILE      file holding the admin bearer token the API accepts
  SOURCES_HOST, SOURCES_PORT    where the API listens (default 127.0.0.1:8090)
  SOURCES_MAX_CONCURRENT_PULLS  pulls at once on this instance (default 8)
  SOURCES_DEFAULT_EVERY         schedule of a new source (default 4h); SOURCES_MAX_JITTER (default 15m)
  TOPIC_SOURCES, TOPIC_SOURCE_STATUS, SOURCES_GROUP_ID, SOURCES_SESSION_TIMEOUT_S, SOURCES_STATUS_EVERY_S
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ELASTICSEARCH_URL, TOPIC_*, INDEX_PREFIX, PRODUCER_*, INDEX_*
                                as for the producer and the indexer (docs/configuration.md)
  METRICS_PORT                  port of /healthz and /metrics (default: any free port, logged at start)`;

export function registerSources(program: Command): void {
  const sources = program
    .command('sources')
    .description(
      'the sources service: HTTP API, scheduler of every connected site, console (see docs/sources.md)',
    )
    .addHelpText('after', environment);
  sources
    .command('serve', { isDefault: true })
    .description('run the service until SIGTERM (the default)')
    .addHelpText('after', environment)
    .action(
      action(async () => {
        const cfg = sourcesConfig();
        const log = createLogger('sources');
        const handle = await startSources(cfg, { log });
        process.stdout.write(
          `sources service ${handle.instance}: API at ${handle.url}/api, OpenAPI at ${handle.url}/api/openapi.json, console at ${handle.url}/console/\n`,
        );
        await handle.service.stopped;
        await handle.stop();
      }),
    );
  sources
    .command('new-key')
    .description('print a new random encryption key for SOURCES_KEY_FILE (keep it secret and backed up)')
    .action(action(() => void process.stdout.write(`${newKeyText()}\n`)));
}
