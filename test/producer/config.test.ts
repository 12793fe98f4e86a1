import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../lib/errors.ts';
import { parseEvery, producerConfig, suggestDomain } from '../../producer/config.ts';
import { sourceIdOf } from '../../schemas/source-id.ts';
import { nextSlot } from '../../producer/schedule.ts';
import { etaMs, pagesPerSecond } from '../../producer/progress.ts';

const base = { CONFLUENCE_EMAIL: 'me@acme.com', CONFLUENCE_API_TOKEN: 'ATATT-a-long-enough-token' };

function configError(env: Record<string, string>): { message: string; exitCode: number } {
  try {
    producerConfig(env);
  } catch (err) {
    return err as { message: string; exitCode: number };
  }
  throw new Error('expected a config error');
}

describe('producer config', () => {
  it('derives the site URL and source id from the domain', () => {
    const cfg = producerConfig({ ...base, CONFLUENCE_DOMAIN: 'Acme.Atlassian.net' });
    expect(cfg.siteUrl).toBe('https://acme.atlassian.net');
    expect(cfg.sourceId).toBe('acme-atlassian-net');
    expect(cfg.authorization).toBe(
      `Basic ${Buffer.from('me@acme.com:ATATT-a-long-enough-token').toString('base64')}`,
    );
    expect(cfg.concurrency).toBe(8);
    expect(JSON.stringify(cfg)).not.toContain('ATATT-a-long-enough-token');
  });

  it.each([
    ['https://acme.atlassian.net/wiki', 'acme.atlassian.net'],
    ['acme.atlassian.net/wiki/spaces/ENG', 'acme.atlassian.net'],
    [' acme.atlassian.net ', 'acme.atlassian.net'],
    ['acme .atlassian.net', 'acme.atlassian.net'],
    ['http://acme.atlassian.net:443', 'acme.atlassian.net'],
    ['acme', 'acme.atlassian.net'],
  ])('rejects CONFLUENCE_DOMAIN=%j and shows the corrected value', (domain, fix) => {
    expect(suggestDomain(domain)).toBe(fix);
    const err = configError({ ...base, CONFLUENCE_DOMAIN: domain });
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toContain('CONFLUENCE_DOMAIN');
    expect(err.message).toContain(`CONFLUENCE_DOMAIN=${fix}`);
  });

  it('with a base URL (simulator, proxy) needs no domain; source id from host and port, or SOURCE_ID', () => {
    const cfg = producerConfig({ ...base, CONFLUENCE_BASE_URL: 'http://127.0.0.1:4100/wiki/' });
    expect(cfg.siteUrl).toBe('http://127.0.0.1:4100');
    expect(cfg.sourceId).toBe('127-0-0-1-4100');
    expect(producerConfig({ ...base, CONFLUENCE_BASE_URL: 'http://sim:1', SOURCE_ID: 'demo' }).sourceId).toBe(
      'demo',
    );
    expect(
      configError({ ...base, CONFLUENCE_BASE_URL: 'http://sim:1', SOURCE_ID: 'Bad Id' }).message,
    ).toContain('SOURCE_ID');
  });

  it('names every missing variable, and never accepts the token from nowhere', () => {
    const err = configError({});
    expect(err.exitCode).toBe(ExitCode.config);
    expect(err.message).toContain('CONFLUENCE_DOMAIN');
    expect(err.message).toContain('CONFLUENCE_EMAIL');
    expect(
      configError({ CONFLUENCE_DOMAIN: 'acme.atlassian.net', CONFLUENCE_EMAIL: 'a@b.co' }).message,
    ).toContain('CONFLUENCE_API_TOKEN');
  });

  it('reads the token from CONFLUENCE_API_TOKEN_FILE, and refuses both at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'producer-config-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'file-token-0123456789\n');
    const env = {
      CONFLUENCE_DOMAIN: 'acme.atlassian.net',
      CONFLUENCE_EMAIL: 'a@b.co',
      CONFLUENCE_API_TOKEN_FILE: file,
    };
    expect(producerConfig(env).authorization).toBe(
      `Basic ${Buffer.from('a@b.co:file-token-0123456789').toString('base64')}`,
    );
    expect(configError({ ...env, CONFLUENCE_API_TOKEN: 'x'.repeat(20) }).message).toMatch(/Both/);
    expect(configError({ ...env, CONFLUENCE_API_TOKEN_FILE: join(dir, 'missing') }).message).toContain(
      'ENOENT',
    );
  });

  it('validates concurrency', () => {
    const err = configError({ ...base, CONFLUENCE_DOMAIN: 'acme.atlassian.net', PRODUCER_CONCURRENCY: '0' });
    expect(err.message).toContain('PRODUCER_CONCURRENCY');
  });

  it('reads the full-refresh cadence: a duration (7d by default), 0 (every run full) or never', () => {
    const every = (value?: string) =>
      producerConfig({
        ...base,
        CONFLUENCE_DOMAIN: 'acme.atlassian.net',
        ...(value === undefined ? {} : { PRODUCER_FULL_REFRESH_EVERY: value }),
      }).fullRefreshEveryMs;
    expect(every()).toBe(7 * 86_400_000);
    expect(every('12h')).toBe(12 * 3_600_000);
    expect(every('0')).toBe(0);
    expect(every('never')).toBeNull();
    const err = configError({
      ...base,
      CONFLUENCE_DOMAIN: 'acme.atlassian.net',
      PRODUCER_FULL_REFRESH_EVERY: 'weekly',
    });
    expect(err.message).toContain('PRODUCER_FULL_REFRESH_EVERY');
    expect(err.message).toContain('never');
  });

  it('derives source ids usable in an index name', () => {
    expect(sourceIdOf('acme.atlassian.net')).toBe('acme-atlassian-net');
    expect(sourceIdOf('[::1]:4100')).toBe('1-4100');
  });
});

describe('--every schedule', () => {
  it('parses durations', () => {
    expect(parseEvery('4h')).toBe(4 * 3_600_000);
    expect(parseEvery('90s')).toBe(90_000);
    expect(() => parseEvery('4 hours')).toThrow(/not a duration/);
    expect(() => parseEvery('0m')).toThrow();
  });

  it('never overlaps: an overrunning run skips the slots it covered', () => {
    const h = 3_600_000;
    expect(nextSlot(0, 4 * h, 1 * h)).toBe(4 * h);
    expect(nextSlot(0, 4 * h, 4 * h)).toBe(8 * h);
    expect(nextSlot(0, 4 * h, 9 * h)).toBe(12 * h);
  });
});

describe('progress arithmetic', () => {
  it('computes rate and ETA from spaces done', () => {
    expect(pagesPerSecond(2_000, 1_000)).toBe(2_000);
    expect(pagesPerSecond(5, 0)).toBe(0);
    expect(etaMs({ spacesDone: 1, spacesTotal: 4, pages: 10 }, 1_000)).toBe(3_000);
    expect(etaMs({ spacesDone: 0, spacesTotal: 4, pages: 0 }, 1_000)).toBeUndefined();
  });
});
