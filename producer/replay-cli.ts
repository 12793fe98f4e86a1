// `ops replay <runId> --from raw|html`: rebuild a retained run as a new run, without Confluence.
import { Option, type Command } from 'commander';
import { action } from '../lib/cli.ts';

export function registerReplay(ops: Command): void {
  ops
    .command('replay')
    .description(
      'rebuild a run Kafka still holds as a new run (raw: convert again; html: index again), then flip under the usual guards',
    )
    .argument('<runId>', 'the run to rebuild (see `ops runs`)')
    .addOption(
      new Option('--from <topic>', 'which topic to read the run from')
        .choices(['raw', 'html'])
        .default('raw'),
    )
    .action(
      action(async (runId: string, opts: { from: 'raw' | 'html' }) => {
        const { servicesConfig } = await import('../lib/config.ts');
        const { createLogger } = await import('../lib/log.ts');
        const { replayRun } = await import('./replay.ts');
        const summary = await replayRun(servicesConfig(), {
          runId,
          from: opts.from,
          log: createLogger('replay'),
        });
        process.stdout.write(
          `replay ${summary.runId} of ${summary.replayOf} (source ${summary.sourceId}) written from the ${summary.from} topic: ` +
            `${summary.pages} pages in ${(summary.durationMs / 1000).toFixed(1)} s.\n` +
            `The indexer flips it once it is complete and verified: watch \`npm run ops -- runs --source ${summary.sourceId}\`.\n`,
        );
      }),
    );
}
