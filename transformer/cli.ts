import type { Command } from 'commander';

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('storage format on stdin -> HTML on stdout (not built yet)')
    .allowUnknownOption()
    .action(() => {
      console.error('convert: not built yet');
      process.exitCode = 1;
    });
}
