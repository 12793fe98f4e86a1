// The shared acceptance check: every storage sample through `npm run convert`, as CI runs it.
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';

it('the shared storage-sample checker reports 0 failed', () => {
  const r = spawnSync('npx', ['node', '../shared/tools/check-storage-samples.mjs'], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  const summary = /(\d+) passed, (\d+) failed/.exec(r.stdout ?? '');
  expect(summary, `${r.stdout}\n${r.stderr}`).not.toBeNull();
  expect(Number(summary?.[2]), r.stdout).toBe(0);
  expect(Number(summary?.[1])).toBeGreaterThan(0);
}, 300_000);
