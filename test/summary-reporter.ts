// Ends a test run with one plain line, "N passed, N failed[, N skipped][, N failed outside tests (…)]", that any CI can
// read. A failed hook or import leaves its tests skipped, not failed: such errors are counted on their
// own, with the file they happened in, so the line never reads "0 failed" for a run that failed.
import path from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

const firstLine = (e: SerializedError) => e.message.split('\n')[0];

export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const errors: string[] = unhandledErrors.map((e) => `unhandled: ${firstLine(e)}`);
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed' || state === 'failed' || state === 'skipped') counts[state]++;
      }
      const suiteErrors = [module, ...module.children.allSuites()].flatMap((s) => s.errors());
      const file = path.relative(process.cwd(), module.moduleId);
      for (const e of suiteErrors) errors.push(`${file}: ${firstLine(e)}`);
    }
    const parts = [`${counts.passed} passed`, `${counts.failed} failed`];
    if (counts.skipped) parts.push(`${counts.skipped} skipped`);
    if (errors.length) parts.push(`${errors.length} failed outside tests (${errors.join('; ')})`);
    process.stdout.write(`\n${parts.join(', ')}\n`);
  }
}
