// How a run shows its progress: a bar for a person at a terminal, a structured log line every few
// seconds otherwise. The rate and ETA arithmetic is pure and lives in the two functions below.
import { SingleBar, Presets } from 'cli-progress';
import type { Logger } from '../lib/log.ts';

export interface ProgressCounts {
  spacesDone: number;
  spacesTotal: number;
  pages: number;
  /** Distinct pages listed so far: once every space is listed, the run's total. */
  listed?: number;
  /** A refresh: pages (counted in `pages`) kept from the live version without fetching their bodies. */
  unchanged?: number;
  /** Pages of the live version dropped (confirmed gone or out of scope). */
  removed?: number;
}

export function pagesPerSecond(pages: number, elapsedMs: number): number {
  return elapsedMs > 0 ? (pages * 1000) / elapsedMs : 0;
}

/**
 * Remaining time: from the share of pages sent once every space is listed (the total is known then),
 * else from the share of spaces listed.
 */
export function etaMs(c: ProgressCounts, elapsedMs: number): number | undefined {
  if (c.spacesDone === 0 || c.spacesTotal === 0) return undefined;
  if (c.spacesDone === c.spacesTotal && c.listed !== undefined && c.pages > 0) {
    return (elapsedMs * Math.max(0, c.listed - c.pages)) / c.pages;
  }
  return (elapsedMs * (c.spacesTotal - c.spacesDone)) / c.spacesDone;
}

/** The counts with rate and ETA, as log lines and the live progress show them. */
export interface ProgressFields extends ProgressCounts {
  pagesPerSecond: number;
  etaSeconds: number | null;
}

export function progressFields(c: ProgressCounts, elapsedMs: number): ProgressFields {
  const eta = etaMs(c, elapsedMs);
  return {
    ...c,
    pagesPerSecond: Math.round(pagesPerSecond(c.pages, elapsedMs)),
    etaSeconds: eta === undefined ? null : Math.round(eta / 1000),
  };
}

/** A running pull's progress as the sources service publishes it: counts, rate, ETA, HTTP trouble. */
export interface LiveProgress extends ProgressFields {
  runId: string;
  startedAt: number;
  requests: number;
  retries: number;
  /** Confluence 429 answers so far. */
  rateLimited: number;
}

export interface Progress {
  update(c: ProgressCounts): void;
  stop(): void;
}

export function createProgress(opts: { interactive: boolean; log: Logger; intervalMs?: number }): Progress {
  const started = Date.now();
  let last: ProgressCounts = { spacesDone: 0, spacesTotal: 0, pages: 0 };
  const fields = (c: ProgressCounts) => progressFields(c, Date.now() - started);
  if (opts.interactive) {
    const bar = new SingleBar(
      {
        format: 'spaces {bar} {value}/{total} | {pages} pages | {rate} pages/s | ETA {etaText}',
        etaBuffer: 50,
        hideCursor: true,
        stream: process.stderr,
      },
      Presets.shades_classic,
    );
    bar.start(0, 0, { pages: 0, rate: 0, etaText: '…' });
    return {
      update(c) {
        last = c;
        const f = fields(c);
        bar.setTotal(c.spacesTotal);
        bar.update(c.spacesDone, {
          pages: c.pages,
          rate: f.pagesPerSecond,
          etaText: f.etaSeconds === null ? '…' : `${f.etaSeconds}s`,
        });
      },
      stop: () => bar.stop(),
    };
  }
  const timer = setInterval(() => opts.log.info(fields(last), 'run progress'), opts.intervalMs ?? 10_000);
  timer.unref();
  return {
    update(c) {
      last = c;
    },
    stop: () => clearInterval(timer),
  };
}
