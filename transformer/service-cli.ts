import type { Command } from 'commander';

export function registerTransformer(program: Command): void {
  program
    .command('transformer')
    .description('storage format -> HTML, raw topic -> HTML topic (not built yet)')
    .allowUnknownOption()
    .action(() => {
      console.error('transformer: not built yet');
      process.exitCode = 1;
    });
}
