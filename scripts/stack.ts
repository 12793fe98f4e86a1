// npm run stack -- up|down|status: the local Kafka + schema registry + Elasticsearch.
import { Command } from 'commander';
import { stackDown, stackStatus, stackUp } from './stack/local-stack.ts';

const program = new Command('stack').description(
  'Local Kafka, schema registry and Elasticsearch for machines without Docker',
);
program
  .command('up')
  .description('start what is not running and wait until every server answers')
  .action(async () => {
    await stackUp();
  });
program
  .command('down')
  .description('stop the processes this stack started')
  .action(async () => {
    await stackDown();
  });
program
  .command('status')
  .description('what runs where')
  .action(async () => {
    process.exitCode = (await stackStatus()) ? 0 : 3;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`stack: ${(err as Error).message}`);
  process.exitCode = 1;
}
