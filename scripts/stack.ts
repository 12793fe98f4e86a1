// npm run stack -- up|down|status [--secure]: the local Kafka + schema registry + Elasticsearch, and
// the secured mode next to it (SASL_SSL Kafka, TLS and auth in front of the registry and Elasticsearch).
import { Command } from 'commander';
import { localEndpoints, plainStackAnswers, stackDown, stackStatus, stackUp } from './stack/local-stack.ts';
import { secureStackDown, secureStackStatus, secureStackUp } from './stack/secure-stack.ts';

const program = new Command('stack').description(
  'Local Kafka, schema registry and Elasticsearch for machines without Docker',
);
program
  .command('up')
  .description('start what is not running and wait until every server answers')
  .option('--secure', 'also the secured mode: SASL_SSL Kafka, TLS + auth for the registry and Elasticsearch')
  .action(async (o: { secure?: boolean }) => {
    // The secured mode only fronts the plain registry and Elasticsearch: any that answers will do.
    if (o.secure && (await plainStackAnswers())) console.log('plain stack: already answering, used as is');
    else await stackUp();
    if (o.secure) await secureStackUp(localEndpoints);
  });
program
  .command('down')
  .description('stop the processes this stack started (the secured mode too)')
  .option('--secure', 'only the secured mode')
  .action(async (o: { secure?: boolean }) => {
    await secureStackDown();
    if (!o.secure) await stackDown();
  });
program
  .command('status')
  .description('what runs where')
  .option('--secure', 'the secured mode')
  .action(async (o: { secure?: boolean }) => {
    process.exitCode = (await (o.secure ? secureStackStatus() : stackStatus())) ? 0 : 3;
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`stack: ${(err as Error).message}`);
  process.exitCode = 1;
}
