// vitest global setup for integration tests: find or start the real stack, hand its endpoints to
// the tests, and fail loudly (never skip) when there is none.
import type { TestProject } from 'vitest/node';
import { resolveStack, type StackEndpoints } from '../../scripts/stack/resolve.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackEndpoints;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = await resolveStack((line) => console.log(`[stack] ${line}`));
  console.log(`[stack] integration tests use the ${stack.how} stack`);
  project.provide('stack', stack.endpoints);
  process.env.KAFKA_BROKERS = stack.endpoints.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = stack.endpoints.schemaRegistryUrl;
  process.env.ELASTICSEARCH_URL = stack.endpoints.elasticsearchUrl;
  // Containers go with the run; a local stack stays up for the next run, the demo and benchmarks.
  return () => (stack.how === 'docker' ? stack.stop() : Promise.resolve());
}
