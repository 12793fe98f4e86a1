// LOG_LEVEL and METRICS_PORT are validated like every other variable: a message naming the variable,
// and exit 2 from the CLI before anything connects.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { logLevel, pipelineNames, servicesConfig } from '../../lib/config.ts';
import { serviceListen } from '../../lib/service.ts';
import { ConfigError, ExitCode } from '../../lib/errors.ts';

const problem = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a config error');
};

describe('LOG_LEVEL', () => {
  it('defaults to info and accepts any pino level, in any case', () => {
    expect(logLevel({})).toBe('info');
    expect(logLevel({ LOG_LEVEL: '' })).toBe('info');
    expect(logLevel({ LOG_LEVEL: 'DEBUG' })).toBe('debug');
    expect(logLevel({ LOG_LEVEL: 'silent' })).toBe('silent');
  });

  it('refuses anything else, naming the variable and the levels', () => {
    const err = problem(() => logLevel({ LOG_LEVEL: 'verbose' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toContain('LOG_LEVEL="verbose": must be one of fatal, error, warn, info, debug');
  });
});

describe('METRICS_PORT', () => {
  it('defaults to 0 (any free port) and accepts a port', () => {
    expect(serviceListen({}).port).toBe(0);
    expect(serviceListen({ METRICS_PORT: '9464' }).port).toBe(9464);
  });

  it.each(['http', '70000', '-1', '80.5'])('refuses %s, naming the variable', (value) => {
    const err = problem(() => serviceListen({ METRICS_PORT: value }));
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toMatch(/METRICS_PORT=".*": must be/);
  });
});

describe('pipelineNames', () => {
  it("names every topic and the index prefix after the pipeline's id, so nothing falls back to a shared default", () => {
    const cfg = servicesConfig(pipelineNames('p1'));
    for (const [kind, topic] of Object.entries(cfg.topics)) expect(topic, kind).toMatch(/^p1\./);
    expect(cfg.indexPrefix).toBe('p1');
  });
});

describe('the CLI', () => {
  // Services that point nowhere: a command that got past its config would fail differently (exit 4).
  const nowhere = {
    KAFKA_BROKERS: '127.0.0.1:1',
    SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
    ELASTICSEARCH_URL: 'http://127.0.0.1:1',
  };
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, ['cli.ts', ...args], {
      env: { ...process.env, ...nowhere, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });

  it('exits 2 on a bad LOG_LEVEL', () => {
    const r = run(['indexer'], { LOG_LEVEL: 'loud' });
    expect(r.stderr).toContain('LOG_LEVEL="loud"');
    expect(r.stderr).toContain('hint:');
    expect(r.status).toBe(ExitCode.config);
  }, 90_000);

  it('exits 2 on a bad METRICS_PORT', () => {
    const r = run(['transformer'], { METRICS_PORT: 'ninety' });
    expect(r.stderr).toContain('METRICS_PORT="ninety"');
    expect(r.status).toBe(ExitCode.config);
  }, 90_000);
});
