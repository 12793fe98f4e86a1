// The producer as people and schedulers run it: the real CLI process, its logs, exit codes and, in
// --every mode, /healthz, /metrics, surviving a failed run and stopping on SIGTERM.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../lib/errors.ts';
import { servicesConfig } from '../../lib/config.ts';
import { createCodecs } from '../../lib/registry.ts';
import type { Run } from '../../schemas/index.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { isolatedEnv } from '../stack/services.ts';
import { simEnv } from './helpers.ts';
import { deleteTopics, readTopic, testKafka } from './kafka-read.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c();
});

function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(
    'node_modules/.bin/node',
    ['--disable-warning=TimeoutNegativeWarning', 'cli.ts', 'producer', ...args],
    {
      env: { PATH: process.env.PATH, ...env },
    },
  );
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { child, out, exited: once(child, 'exit').then(([code]) => code as number) };
}

async function setup(name: string, sim: SimHandle, extra: Record<string, string> = {}) {
  const env = { ...isolatedEnv(name), ...simEnv(sim), PRODUCER_MAX_RETRIES: '1', ...extra };
  const cfg = servicesConfig(env);
  cleanups.push(() => deleteTopics(testKafka(cfg), cfg));
  return { env, cfg };
}

function secretsOf(sim: SimHandle): string[] {
  return [
    sim.token,
    Buffer.from(sim.token).toString('base64'),
    Buffer.from(`${sim.email}:${sim.token}`).toString('base64'),
  ];
}

describe('producer CLI', () => {
  it('run: a failed pull exits with runFailed and says why; the token appears nowhere', async () => {
    const sim = await startSim({ seed: 21, spaces: 3, pages: 100 });
    cleanups.push(() => sim.close());
    const { env } = await setup('prod-cli-fail', sim);
    sim.admin.addFault({ kind: '502', space: sim.admin.info().spaces[0]!.id });
    const { out, exited } = startCli(['run'], env);
    expect(await exited).toBe(ExitCode.runFailed);
    expect(out.stdout).toMatch(/run \w{26} FAILED/);
    expect(out.stderr).toMatch(/error: Run \w{26} failed: .*502/);
    expect(out.stderr).toMatch(/hint: [\s\S]*ABORT markers/);
    for (const s of secretsOf(sim)) expect(out.stdout + out.stderr).not.toContain(s);
  });

  it('run --every: survives a failed run, serves /healthz and /metrics, never overlaps, stops on SIGTERM', async () => {
    const sim = await startSim({ seed: 22, spaces: 3, pages: 150 });
    cleanups.push(() => sim.close());
    const { env, cfg } = await setup('prod-cli-every', sim, { METRICS_PORT: '0' });
    const fault = sim.admin.addFault({ kind: '500', space: sim.admin.info().spaces[1]!.id });
    const { child, out, exited } = startCli(['run', '--every', '2s'], env);
    await expect.poll(() => out.stderr.includes('"msg":"run failed"'), { timeout: 30_000 }).toBe(true);
    sim.admin.removeFault(fault.id);
    await expect.poll(() => out.stderr.includes('"msg":"run succeeded"'), { timeout: 30_000 }).toBe(true);

    const port = Number(/"port":(\d+)/.exec(out.stderr)![1]);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/producer_runs_total\{status="FAILED"[^}]*\} 1/);
    expect(metrics).toMatch(/producer_runs_total\{status="SUCCEEDED"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/producer_pages_total\{[^}]*\} [1-9]/);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const codecs = await createCodecs(cfg);
    const records = await readTopic<Run>(testKafka(cfg), cfg.topics.runs, (b) => codecs.runs.decode(b));
    const finals = records.map((r) => r.value).filter((r) => r.status !== 'RUNNING');
    expect(finals[0]!.status).toBe('FAILED');
    expect(finals.some((r) => r.status === 'SUCCEEDED' && r.pages === sim.pages)).toBe(true);
    // Never overlapping: each run starts after the previous one ended.
    for (let i = 1; i < finals.length; i++)
      expect(finals[i]!.startedAt).toBeGreaterThanOrEqual(finals[i - 1]!.endedAt!);
    const lines = out.stderr.split('\n').filter((l) => l.includes('"runId"'));
    expect(lines.every((l) => l.includes('"sourceId"'))).toBe(true);
    for (const s of secretsOf(sim)) expect(out.stdout + out.stderr).not.toContain(s);
  });
});
