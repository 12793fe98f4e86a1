import type { Command } from 'commander';

export function registerProducer(program: Command): void {
  program
    .command('producer')
    .description('Confluence -> Kafka: check credentials, run a full pull (not built yet)')
    .allowUnknownOption()
    .action(() => {
      console.error('producer: not built yet');
      process.exitCode = 1;
    });
}
