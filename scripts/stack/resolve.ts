// Which real Kafka, registry and Elasticsearch the tests and the demo talk to, in order:
// services named in the environment; else Docker, when an engine answers; else the local JVM stack.
import { spawnSync } from 'node:child_process';
import { localEndpoints, stackDown, stackUp, type StackEndpoints } from './local-stack.ts';

export type { StackEndpoints };

export interface ResolvedStack {
  endpoints: StackEndpoints;
  how: 'environment' | 'docker' | 'local';
  /** Stops what this call started (containers, or local servers that were not running before). */
  stop(): Promise<void>;
}

function fromEnvironment(): StackEndpoints | undefined {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ELASTICSEARCH_URL } = process.env;
  const named = [KAFKA_BROKERS, SCHEMA_REGISTRY_URL, ELASTICSEARCH_URL].filter(Boolean).length;
  if (named === 0) return undefined;
  if (named < 3) {
    throw new Error(
      'Set all three of KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ELASTICSEARCH_URL, or none of them (to let the tests start a stack)',
    );
  }
  return {
    kafkaBrokers: KAFKA_BROKERS!,
    schemaRegistryUrl: SCHEMA_REGISTRY_URL!,
    elasticsearchUrl: ELASTICSEARCH_URL!,
  };
}

function dockerAnswers(): boolean {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.status === 0 && r.stdout.trim() !== '';
}

export async function resolveStack(log: (line: string) => void = console.log): Promise<ResolvedStack> {
  const env = fromEnvironment();
  if (env) return { endpoints: env, how: 'environment', stop: async () => {} };
  if (process.env.STACK_MODE !== 'local' && dockerAnswers()) {
    const { startContainers } = await import('./containers.ts');
    const { endpoints, stop } = await startContainers(log);
    return { endpoints, how: 'docker', stop };
  }
  let startedNow: string[];
  try {
    ({ startedNow } = await stackUp(log));
  } catch (err) {
    throw new Error(
      `No Kafka/registry/Elasticsearch for the integration tests: the local stack did not start (${(err as Error).message}).\n` +
        'Install Java 17+ (and 21+ for the registry) with Maven, or a Docker engine, or name running services in KAFKA_BROKERS, SCHEMA_REGISTRY_URL and ELASTICSEARCH_URL.',
      { cause: err },
    );
  }
  const stop = async () => {
    if (startedNow.length > 0) await stackDown(log);
  };
  return { endpoints: localEndpoints, how: 'local', stop };
}
