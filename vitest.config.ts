import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing; integration tests (*.int.test.ts) run against the real
// Kafka, schema registry and Elasticsearch that test/stack/global-setup.ts finds or starts.
export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.int.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.int.test.ts'],
          globalSetup: ['test/stack/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Integration files share one stack; running them one at a time keeps 2 cores honest.
          fileParallelism: false,
        },
      },
    ],
  },
});
