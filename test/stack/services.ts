// Per-test service config: the shared stack's endpoints with topic and index names of the test's own,
// so integration tests never see each other's records, indices or aliases.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { servicesConfig, type ServicesConfig, pipelineNames } from '../../lib/config.ts';

export function isolatedEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const stack = inject('stack');
  const id = `t-${name}-${randomBytes(3).toString('hex')}`.toLowerCase();
  return {
    KAFKA_BROKERS: stack.kafkaBrokers,
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    ELASTICSEARCH_URL: stack.elasticsearchUrl,
    ...pipelineNames(id),
    ...extra,
  };
}

export function isolatedConfig(name: string, extra: Record<string, string> = {}): ServicesConfig {
  return servicesConfig(isolatedEnv(name, extra));
}
