// `npm run demo`: the whole product on a simulated Confluence site. Finds or starts the stack, serves
// a demo site, runs transformer and indexer, pulls once, waits for the flip, and shows what the AI
// would get. Run again: a second full refresh in which some pages were deleted, and they are gone.
import type { Command } from 'commander';
import { action } from '../lib/cli.ts';
import { createElasticsearch, type Elasticsearch } from '../lib/elasticsearch.ts';
import { UserError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { setTimeout as sleep } from 'node:timers/promises';

const SOURCE_ID = 'demo';
const SITE = { seed: 20261125, spaces: 8, pages: 300 };
/** Pages deleted from the simulated site before each refresh after the first. */
const DELETE_PER_REFRESH = 12;

const say = (line = '') => process.stdout.write(`${line}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function livePageIds(es: Elasticsearch, alias: string): Promise<string[]> {
  if (!(await es.indices.existsAlias({ name: alias }))) return [];
  const res = await es.search({ index: alias, size: 10_000, _source: false, sort: ['_doc'] });
  return res.hits.hits.map((h) => h._id!);
}

async function visibilityCounts(es: Elasticsearch, alias: string): Promise<Record<string, number>> {
  const res = await es.search({
    index: alias,
    size: 0,
    aggs: { visibility: { terms: { field: 'visibility' } } },
  });
  const buckets = (res.aggregations?.visibility as { buckets: { key: string; doc_count: number }[] }).buckets;
  return Object.fromEntries(buckets.map((b) => [b.key, b.doc_count]));
}

async function demo(opts: { keep: boolean }): Promise<void> {
  const started = Date.now();
  const { resolveStack } = await import('./stack/resolve.ts');
  say('Confluence knowledge sync — demo');
  say('1. Kafka, schema registry and Elasticsearch');
  const stack = await resolveStack((line) => say(`   ${line}`));
  process.env.KAFKA_BROKERS = stack.endpoints.kafkaBrokers;
  process.env.SCHEMA_REGISTRY_URL = stack.endpoints.schemaRegistryUrl;
  process.env.ELASTICSEARCH_URL = stack.endpoints.elasticsearchUrl;
  process.env.LOG_LEVEL ??= 'warn';

  const [
    { startSim },
    { producerConfig },
    { runPull },
    { startTransformer, transformerConfig },
    { startIndexer },
    { indexerConfig },
    { createRunStore },
    { isDecided, isFlipped },
    { aliasName },
    { searchAlias },
  ] = await Promise.all([
    import('../sim/index.ts'),
    import('../producer/config.ts'),
    import('../producer/run.ts'),
    import('../transformer/service.ts'),
    import('../indexer/service.ts'),
    import('../indexer/config.ts'),
    import('../indexer/run-state.ts'),
    import('../indexer/completion.ts'),
    import('../indexer/index-names.ts'),
    import('../search/query.ts'),
  ]);

  const indexer = indexerConfig();
  const es = createElasticsearch(indexer.services);
  const alias = aliasName(indexer.services.indexPrefix, SOURCE_ID);
  const before = await livePageIds(es, alias);

  say(
    `2. A simulated Confluence Cloud site (${SITE.pages} pages in ${SITE.spaces} spaces, personal spaces included)`,
  );
  const sim = await startSim(SITE);
  let deleted: string[] = [];
  if (before.length > 0) {
    // A refresh: the site lost some pages since the last run, and the alias must lose them too.
    deleted = before
      .filter((_, i) => i % Math.floor(before.length / DELETE_PER_REFRESH) === 1)
      .slice(0, DELETE_PER_REFRESH);
    for (const id of deleted) sim.admin.deletePage(id);
    say(
      `   refresh: the alias serves ${before.length} pages; ${deleted.length} of them were just deleted in Confluence`,
    );
  }
  say(`   ${sim.baseUrl} as ${sim.email}`);

  const env = {
    ...process.env,
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID,
  };
  const log = createLogger('demo');
  say('3. Transformer and indexer (consumers), then one full pull by the producer');
  const transformer = await startTransformer(transformerConfig(env), {
    log: log.child({ service: 'transformer' }),
  });
  const indexerHandle = await startIndexer(indexer, { log: log.child({ service: 'indexer' }) });
  try {
    const pull = await runPull(producerConfig(env), {
      log: log.child({ service: 'producer' }),
      interactive: false,
    });
    const pullEnded = Date.now();
    if (pull.status !== 'SUCCEEDED') {
      throw new UserError(`The demo pull failed: ${pull.error}`, {
        hint: pull.hint ?? 'See the log lines above.',
      });
    }
    say(
      `   pulled ${pull.pages} pages (${pull.personalPages} internal: personal spaces and restricted pages) from ${pull.spaces} spaces in ${seconds(pull.durationMs)}, run ${pull.runId}`,
    );

    const store = createRunStore(es, indexer.services.indexPrefix);
    const deadline = Date.now() + 180_000;
    let state = await store.get(pull.runId).catch(() => null);
    while (!state || !isDecided(state)) {
      if (Date.now() > deadline)
        throw new UserError(`Run ${pull.runId} did not go live within 3 minutes`, {
          hint: 'Check `npm run ops -- runs` and the transformer/indexer logs.',
        });
      await sleep(250);
      state = await store.get(pull.runId).catch(() => null);
    }
    if (!isFlipped(state)) {
      throw new UserError(`Run ${pull.runId} was ${state.status}: ${state.reason ?? ''}`, {
        hint: 'See `npm run ops -- runs --source demo`.',
      });
    }
    say(
      `   converted and indexed; alias ${alias} → ${state.index} ${state.flippedAt && state.completedAt ? `(flip ${state.flippedAt - state.completedAt} ms after the last END)` : ''}`,
    );

    say('4. Run summary');
    const counts = await visibilityCounts(es, alias);
    say(
      `   pages live: ${(counts.public ?? 0) + (counts.internal ?? 0)} — public ${counts.public ?? 0}, internal ${counts.internal ?? 0}; conversion failures: ${state.failures ?? 0}`,
    );
    // Transformer and indexer work while the pull runs; what is left after it is the tail and the checks.
    say(
      `   time: pull ${seconds(pull.durationMs)} (converting and indexing alongside), then ${seconds((state.flippedAt ?? pullEnded) - pullEnded)} to finish, verify and flip`,
    );
    if (deleted.length > 0) {
      const still = [];
      for (const id of deleted) if (await es.exists({ index: alias, id })) still.push(id);
      say(
        `   deleted in Confluence: ${deleted.length} pages; still served: ${still.length}${still.length === 0 ? ' — they are gone' : ` (${still.join(', ')})`}`,
      );
      if (still.length > 0) throw new UserError('Deleted pages are still served after the refresh');
    }

    say('5. What the AI gets (search the alias with an audience)');
    const query = 'release notes';
    for (const audience of ['customer', 'agent'] as const) {
      const hits = await searchAlias(es, { alias, q: query, audience, size: 3 });
      say(`   audience=${audience}, q="${query}":`);
      if (hits.length === 0) say('     (no results)');
      for (const h of hits)
        say(
          `     [${h.visibility}: ${h.visibilityReason}] ${h.title}\n       ${h.url}\n       ${h.snippet.slice(0, 110)}`,
        );
    }
    say();
    say(
      opts.keep
        ? 'Query further:'
        : 'Query further (with the stack up: `npm run demo -- --keep`, or `npm run stack -- up` first):',
    );
    say(`   npm run ops -- search --source ${SOURCE_ID} --audience customer "meeting notes"`);
    say(`   npm run ops -- runs --source ${SOURCE_ID}`);
    say(
      `   SEARCH_API_KEYS_FILE=keys.json npm run ops -- search --serve   # then GET /search?q=pricing&source=${SOURCE_ID}&audience=customer with Authorization: Bearer <key> (docs/search.md#api-keys)`,
    );
    say('   npm run demo                    # again: a refresh in which some pages were deleted');
    say(`Done in ${seconds(Date.now() - started)}.`);
    if (opts.keep) {
      say(
        `--keep: simulator at ${sim.baseUrl} (email ${sim.email}), transformer and indexer keep running; Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
    }
  } finally {
    await transformer.stop();
    await indexerHandle.stop();
    await sim.close();
    await es.close();
    if (!opts.keep) await stack.stop();
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('the whole product on a simulated Confluence site: pull, convert, index, flip, search')
    .option('--keep', 'leave the simulator, transformer and indexer running afterwards', false)
    .action(action(async (opts: { keep: boolean }) => demo(opts)));
}
