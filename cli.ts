#!/usr/bin/env node
// The product's one command line: each area registers its own subcommands.
import { Command } from 'commander';
import { registerSim } from './sim/cli.ts';
import { registerConvert } from './transformer/cli.ts';
import { registerProducer } from './producer/cli.ts';
import { registerTransformer } from './transformer/service-cli.ts';
import { opsCommand, registerIndexer } from './indexer/cli.ts';
import { registerSearch } from './indexer/search-cli.ts';
import { registerReplay } from './producer/replay-cli.ts';
import { registerDemo } from './scripts/demo.ts';
import { installCrashHandlers } from './lib/cli.ts';

installCrashHandlers();

const program = new Command('cks')
  .description('Confluence Cloud -> Kafka -> Elasticsearch knowledge sync')
  .showHelpAfterError();

registerSim(program);
registerProducer(program);
registerConvert(program);
registerTransformer(program);
registerIndexer(program);
registerReplay(opsCommand(program));
registerSearch(opsCommand(program));
registerDemo(program);

await program.parseAsync(process.argv);
