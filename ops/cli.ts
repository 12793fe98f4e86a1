// `ops`: what operators call — runs, rollback, release, trace, replay. `search` adds itself to the group.
import { Option, type Command } from 'commander';
import { action } from '../lib/cli.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger } from '../lib/log.ts';
import { indexerConfig } from '../indexer/config.ts';
import { formatRuns, listRuns, release, rollback } from './runs.ts';

/** Runs an ops action with an Elasticsearch client that is closed afterwards; lib/cli.ts explains failures. */
const withEs = async (
  fn: (es: ReturnType<typeof createElasticsearch>, cfg: ReturnType<typeof indexerConfig>) => Promise<void>,
) => {
  const cfg = indexerConfig();
  const es = createElasticsearch(cfg.services);
  try {
    await fn(es, cfg);
  } finally {
    await es.close();
  }
};

/** Registers the `ops` group and its commands; returns it so other areas add theirs. */
export function registerOps(program: Command): Command {
  const ops = program
    .command('ops')
    .description('operations: runs, rollback, release, trace, replay, search');
  ops
    .command('runs')
    .description('recent runs per source: status, counts, timings, index, and why')
    .option('--source <sourceId>', 'only this source')
    .option('--limit <n>', 'how many runs', '20')
    .option('--json', 'JSON instead of a table')
    .action(
      action(async (o: { source?: string; limit: string; json?: boolean }) =>
        withEs(async (es, cfg) => {
          const rows = await listRuns(es, cfg, {
            ...(o.source ? { sourceId: o.source } : {}),
            limit: Number(o.limit),
          });
          process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : formatRuns(rows));
        }),
      ),
    );
  ops
    .command('rollback')
    .description("move a source's alias back to the previous kept version (one _aliases call)")
    .requiredOption('--source <sourceId>', 'the source to roll back')
    .action(
      action(async (o: { source: string }) =>
        withEs(async (es, cfg) => {
          const { from, to } = await rollback(es, cfg, o.source);
          process.stdout.write(
            `${o.source}: alias moved back from ${from.runId} to ${to.runId} (${to.index})\n`,
          );
        }),
      ),
    );
  ops
    .command('release')
    .description('flip a held run (waives the shrink and audience-shift guards only)')
    .argument('<runId>', 'the held run')
    .action(
      action(async (runId: string) =>
        withEs(async (es, cfg) => {
          const run = await release(es, cfg, runId, createLogger('ops', { runId }));
          process.stdout.write(
            `${run.sourceId}: run ${run.runId} released and live (${run.docs} pages, ${run.index})\n`,
          );
        }),
      ),
    );
  ops
    .command('trace')
    .description('why is a page missing? follow one page id through the topics, the run and the alias')
    .argument('<pageId>', 'the Confluence page id')
    .requiredOption('--source <sourceId>', 'the source the page belongs to')
    .option('--run <runId>', "the run to look in (default: the source's newest)")
    .action(
      action(async (pageId: string, o: { source: string; run?: string }) =>
        withEs(async (es, cfg) => {
          const { createKafka } = await import('../lib/kafka.ts');
          const { createCodecs } = await import('../lib/registry.ts');
          const { formatTrace, tracePage } = await import('./trace.ts');
          const kafka = createKafka(cfg.services, 'ops-trace', createLogger('ops'));
          const codecs = await createCodecs(cfg.services);
          const trace = await tracePage(cfg.services, kafka, codecs, es, {
            pageId,
            sourceId: o.source,
            ...(o.run ? { runId: o.run } : {}),
          });
          process.stdout.write(formatTrace(pageId, trace));
        }),
      ),
    );
  ops
    .command('replay')
    .description(
      'rebuild a version without Confluence, as a new run that flips under the usual guards: a run Kafka still holds (raw: convert again; html: index again), or a whole source from the latest-pages topic',
    )
    .argument('[runId]', 'the run to rebuild (see `ops runs`)')
    .option('--source <sourceId>', 'instead of a run: rebuild this source from the latest page of every id')
    .addOption(
      new Option('--from <topic>', 'which topic to read the run from')
        .choices(['raw', 'html'])
        .default('raw'),
    )
    .action(
      action(async (runId: string | undefined, opts: { from: 'raw' | 'html'; source?: string }) => {
        const { servicesConfig } = await import('../lib/config.ts');
        const { createLogger } = await import('../lib/log.ts');
        const { replayRun, replaySource } = await import('./replay.ts');
        const { UserError } = await import('../lib/errors.ts');
        if ((runId === undefined) === (opts.source === undefined)) {
          throw new UserError(
            runId === undefined
              ? 'Name the run to replay, or a source with --source'
              : 'Name a run or a source to replay, not both',
            {
              hint: 'e.g. `npm run ops -- replay <runId> --from raw`, or `npm run ops -- replay --source <sourceId>`.',
            },
          );
        }
        const log = createLogger('replay');
        const summary = opts.source
          ? await replaySource(servicesConfig(), { sourceId: opts.source, log })
          : await replayRun(servicesConfig(), { runId: runId!, from: opts.from, log });
        process.stdout.write(
          `replay ${summary.runId} of ${summary.replayOf} (source ${summary.sourceId}) written from the ${summary.from} topic: ` +
            `${summary.pages} pages in ${(summary.durationMs / 1000).toFixed(1)} s.\n` +
            `The indexer flips it once it is complete and verified: watch \`npm run ops -- runs --source ${summary.sourceId}\`.\n`,
        );
        if (summary.warning) process.stderr.write(`warning: ${summary.warning}\n`);
      }),
    );
  return ops;
}
