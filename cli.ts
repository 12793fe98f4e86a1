#!/usr/bin/env node
// The product's one command line: each area registers its own subcommands.
import { Command } from 'commander';
import { registerSim } from './sim/cli.ts';
import { registerConvert } from './transformer/cli.ts';
import { registerProducer } from './producer/cli.ts';
import { registerTransformer } from './transformer/service-cli.ts';
import { registerIndexer } from './indexer/cli.ts';
import { registerOps } from './ops/cli.ts';
import { registerSearch } from './search/cli.ts';
import { registerDemo } from './scripts/demo.ts';
import { registerSources } from './sources/cli.ts';
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
registerSearch(registerOps(program));
registerSources(program);
registerDemo(program);

await program.parseAsync(process.argv);
