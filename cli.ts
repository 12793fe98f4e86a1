#!/usr/bin/env node
// The product's one command line: each area registers its own subcommands.
import { Command } from 'commander';
import { installCrashHandlers } from './lib/cli.ts';

installCrashHandlers();

type Register = (program: Command) => unknown;

// Each command's area is loaded only when that command runs, so a long-running service holds its own
// modules and not every other area's (the sources API's, the simulator's: ~20 MB of resident memory,
// bench/README.md#end-to-end-memory). Help, and a command that is not one of these, load them all.
const areas: Record<string, () => Promise<Register>> = {
  sim: async () => (await import('./sim/cli.ts')).registerSim,
  producer: async () => (await import('./producer/cli.ts')).registerProducer,
  convert: async () => (await import('./transformer/cli.ts')).registerConvert,
  transformer: async () => (await import('./transformer/service-cli.ts')).registerTransformer,
  indexer: async () => (await import('./indexer/cli.ts')).registerIndexer,
  ops: async () => {
    const [{ registerOps }, { registerSearch }] = await Promise.all([
      import('./ops/cli.ts'),
      import('./search/cli.ts'),
    ]);
    return (program) => registerSearch(registerOps(program));
  },
  sources: async () => (await import('./sources/cli.ts')).registerSources,
  demo: async () => (await import('./scripts/demo.ts')).registerDemo,
};

const program = new Command('cks')
  .description('Confluence Cloud -> Kafka -> Elasticsearch knowledge sync')
  .showHelpAfterError();

const named = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const wanted = named && Object.hasOwn(areas, named) ? [areas[named]!] : Object.values(areas);
for (const register of await Promise.all(wanted.map((load) => load()))) register(program);

await program.parseAsync(process.argv);
