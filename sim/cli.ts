import type { Command } from 'commander';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('Confluence Cloud simulator (not built yet)')
    .action(() => {
      console.error('sim: not built yet');
      process.exitCode = 1;
    });
}
