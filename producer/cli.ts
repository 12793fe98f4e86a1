// `producer check` and `producer run [--every 4h]`.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { Counter, Gauge } from 'prom-client';
import { action, interactive } from '../lib/cli.ts';
import { ExitCode, UserError } from '../lib/errors.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createKafka, kafkaReadiness } from '../lib/kafka.ts';
import { startService } from '../lib/service.ts';
import { checkAccess, SPACES_LISTED } from './check.ts';
import { parseEvery, producerConfig, type ProducerConfig } from './config.ts';
import { formatPreview, previewSite } from './preview.ts';
import { runPull, type RunSummary } from './run.ts';
import { nextSlot } from './schedule.ts';

function describe(s: RunSummary): string {
  const mb = (s.bytes / 1e6).toFixed(1);
  const refresh =
    s.plan.kind === 'incremental'
      ? `refresh of ${s.plan.base.baseRunId}: ${s.pages - s.unchanged} fetched, ${s.unchanged} unchanged (bodies not fetched), ${s.removed} removed`
      : `full (${s.plan.detail})`;
  return (
    `run ${s.runId} ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s: ${s.pages} pages ` +
    `(${s.personalPages} internal sent) from ${s.spaces} spaces, ${refresh}; ${mb} MB sent, ` +
    `${(s.confluenceBytes / 1e6).toFixed(1)} MB read from Confluence in ${s.requests} requests, ` +
    `${s.retries} retries, ${s.rateLimited} rate-limited (429)` +
    (s.error ? `\n  error: ${s.error}` : '')
  );
}

/** One run, stopped cleanly (ABORT markers) by SIGTERM/SIGINT. */
async function runOnce(cfg: ProducerConfig, log: Logger, full: boolean): Promise<void> {
  const stop = new AbortController();
  const onSignal = (signal: string) => stop.abort(new Error(`stopped by ${signal}`));
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    const summary = await runPull(cfg, { log, signal: stop.signal, interactive: interactive(), full });
    process.stdout.write(`${describe(summary)}\n`);
    if (summary.status === 'SUCCEEDED')
      process.stdout.write(
        `The transformer and indexer convert, verify and flip it (they must be running): ` +
          `watch \`npm run ops -- runs --source ${summary.sourceId}\`.\n`,
      );
    if (summary.status === 'FAILED') {
      throw new UserError(`Run ${summary.runId} failed: ${summary.error}`, {
        exitCode: ExitCode.runFailed,
        hint: `${summary.hint ? `${summary.hint}\n` : ''}Nothing of this run goes live (it ended with ABORT markers); fix the cause and run again.`,
      });
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Runs on a fixed grid until SIGTERM; a failed run is logged and waits for the next slot. */
async function runEvery(cfg: ProducerConfig, everyMs: number, log: Logger, full: boolean): Promise<void> {
  const service = await startService('producer', log);
  const kafkaProbe = kafkaReadiness(createKafka(cfg.services, 'producer-probe', log));
  service.readyWhen('kafka', kafkaProbe.check);
  const runs = new Counter({
    name: 'producer_runs_total',
    help: 'Runs by final status',
    labelNames: ['status'],
    registers: [service.metrics],
  });
  const pages = new Counter({
    name: 'producer_pages_total',
    help: 'Pages sent to Kafka',
    registers: [service.metrics],
  });
  const requests = new Counter({
    name: 'producer_requests_total',
    help: 'Confluence requests',
    registers: [service.metrics],
  });
  const retries = new Counter({
    name: 'producer_retries_total',
    help: 'Confluence requests retried',
    registers: [service.metrics],
  });
  const limited = new Counter({
    name: 'producer_rate_limited_total',
    help: 'Confluence 429 answers',
    registers: [service.metrics],
  });
  const lastRun = new Gauge({
    name: 'producer_last_run_end_seconds',
    help: 'End of the last run, by status',
    labelNames: ['status'],
    registers: [service.metrics],
  });
  const running = new Gauge({
    name: 'producer_run_in_progress',
    help: '1 while a run is pulling',
    registers: [service.metrics],
  });
  const firstStart = Date.now();
  let firstRun = true; // --full with --every: the first run is full, the schedule's own rules decide the rest
  try {
    while (!service.stopping) {
      const stop = new AbortController();
      void service.stopped.then(() => stop.abort(new Error('stopped by SIGTERM')));
      running.set(1);
      try {
        const s = await runPull(cfg, { log, signal: stop.signal, full: full && firstRun });
        firstRun = false;
        process.stdout.write(`${describe(s)}\n`);
        runs.inc({ status: s.status });
        pages.inc(s.pages);
        requests.inc(s.requests);
        retries.inc(s.retries);
        limited.inc(s.rateLimited);
        lastRun.set({ status: s.status }, Date.now() / 1000);
      } catch (err) {
        // Kafka or the registry down: no run was started; try again at the next slot.
        runs.inc({ status: 'NOT_STARTED' });
        log.error({ err }, 'run could not start; waiting for the next slot');
      } finally {
        running.set(0);
      }
      if (service.stopping) break;
      const at = nextSlot(firstStart, everyMs, Date.now());
      log.info({ nextRunAt: new Date(at).toISOString() }, 'waiting for the next run');
      const wake = new AbortController();
      await Promise.race([
        sleep(at - Date.now(), undefined, { signal: wake.signal }).catch(() => {}),
        service.stopped,
      ]);
      wake.abort();
    }
  } finally {
    await kafkaProbe.close();
    await service.close();
  }
}

const producerEnvironment = `
Environment (never put the token on the command line):
  CONFLUENCE_DEPLOYMENT   cloud (classic API token, default), cloud-scoped (scoped token, through
                          api.atlassian.com) or data-center (personal access token)
  CONFLUENCE_DOMAIN       the site's host, e.g. yourcompany.atlassian.net (no https://, no path)
  CONFLUENCE_BASE_URL     instead of the domain: the site root, e.g. the simulator's baseUrl;
                          Data Center: with its context path, e.g. https://wiki.corp.example/confluence
  CONFLUENCE_EMAIL        the Atlassian account the token belongs to (Cloud)
  CONFLUENCE_USERNAME     Data Center: the account the token belongs to (checked when given)
  CONFLUENCE_API_TOKEN    the API token / PAT, or CONFLUENCE_API_TOKEN_FILE: a file holding it
  HTTPS_PROXY, NO_PROXY   the proxy Confluence requests go through, and hosts that bypass it
  SOURCE_ID               the site's id in index and alias names (default: from the domain)
  PRODUCER_FULL_REFRESH_EVERY
                          a run fetches every body when the live version's last full run is this
                          old (default 7d; 0: every run is full; never: only on a converter change
                          or --full); other runs fetch only what changed (docs/operations.md)
  KAFKA_BROKERS, SCHEMA_REGISTRY_URL, TOPIC_RAW_PAGES, TOPIC_RUNS, ...
                          see docs/configuration.md; PRODUCER_* tuning: producer/README.md`;

export function registerProducer(program: Command): void {
  const producer = program
    .command('producer')
    .description('Confluence -> Kafka: check credentials, pull a site (see producer/README.md)')
    .addHelpText('after', producerEnvironment);
  producer
    .command('check')
    .description(
      'prove the configured credentials can read Confluence spaces and pages (Kafka is not contacted)',
    )
    .addHelpText('after', producerEnvironment)
    .action(
      action(async () => {
        const cfg = producerConfig();
        const r = await checkAccess(cfg, createLogger('producer', { sourceId: cfg.sourceId }));
        process.stdout.write(
          `ok: signed in to ${r.siteUrl} as ${r.account}` +
            (r.apiUrl !== r.siteUrl ? ` (through ${r.apiUrl})` : '') +
            ` (source id ${cfg.sourceId}, ${cfg.deployment}): ` +
            `${r.spacesSeen}${r.spacesSeen === SPACES_LISTED ? '+' : ''} spaces, ` +
            (r.pagesReadableIn
              ? `pages readable in space ${r.pagesReadableIn}\n`
              : 'no pages in the first spaces\n'),
        );
      }),
    );
  producer
    .command('preview')
    .description(
      "the site's spaces with type, status, pages and the audience the visibility policy gives them, by reason (writes nothing)",
    )
    .option('--json', 'print the preview as JSON')
    .addHelpText('after', producerEnvironment)
    .action(
      action(async (o: { json?: boolean }) => {
        const cfg = producerConfig();
        const preview = await previewSite(cfg, createLogger('producer', { sourceId: cfg.sourceId }));
        process.stdout.write(o.json ? `${JSON.stringify(preview, null, 2)}\n` : formatPreview(preview));
      }),
    );
  producer
    .command('run')
    .description(
      'one pull of the site into Kafka (or one every --every): a refresh that fetches only the pages that changed, or a full one',
    )
    .option(
      '--every <duration>',
      'repeat on a fixed schedule, e.g. 4h or 30m; serves /livez, /readyz and /metrics',
    )
    .option('--full', 'fetch every body, even if the live version could be refreshed (the one run only)')
    .addHelpText('after', producerEnvironment)
    .action(
      action(async (o: { every?: string; full?: boolean }) => {
        const everyMs = o.every === undefined ? undefined : parseEvery(o.every);
        const cfg = producerConfig();
        const log = createLogger('producer');
        if (everyMs === undefined) await runOnce(cfg, log, o.full ?? false);
        else await runEvery(cfg, everyMs, log, o.full ?? false);
      }),
    );
}
