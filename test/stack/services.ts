// Per-test service config: the shared stack's endpoints with topic and index names of the test's own,
// so integration tests never see each other's records, indices or aliases.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { servicesConfig, type ServicesConfig } from '../../lib/config.ts';

export function isolatedEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const stack = inject('stack');
  const id = `t-${name}-${randomBytes(3).toString('hex')}`.toLowerCase();
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    ELASTICSEARCH_URL: stack.elasticsearchUrl,
    TOPIC_RAW_PAGES: `${id}.raw`,
    TOPIC_HTML_PAGES: `${id}.html`,
    TOPIC_DEAD_LETTER: `${id}.dead-letter`,
    TOPIC_RUNS: `${id}.runs`,
    TOPIC_LATEST_PAGES: `${id}.latest`,
    INDEX_PREFIX: id,
    ...extra,
  };
}

export function isolatedConfig(name: string, extra: Record<string, string> = {}): ServicesConfig {
  return servicesConfig(isolatedEnv(name, extra));
}
