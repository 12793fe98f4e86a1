import type { Command } from 'commander';

export function registerIndexer(program: Command): void {
  program
    .command('indexer')
    .description('Kafka -> Elasticsearch: index runs, flip the alias (not built yet)')
    .allowUnknownOption()
    .action(() => {
      console.error('indexer: not built yet');
      process.exitCode = 1;
    });
}
