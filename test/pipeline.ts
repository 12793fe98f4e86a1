// What end-to-end tests do to the pipeline under test (simulator → producer → transformer → indexer):
// pull once and wait until the indexer flipped the run, and read what the source's alias then serves.
import { expect } from 'vitest';
import { servicesConfig } from '../lib/config.ts';
import { createElasticsearch } from '../lib/elasticsearch.ts';
import type { Logger } from '../lib/log.ts';
import { aliasName } from '../indexer/index-names.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { producerConfig } from '../producer/config.ts';
import { runPull, type RunSummary } from '../producer/run.ts';
import { runDecided } from './indexer/fixtures.ts';

type Env = Record<string, string>;

/** Waits until the indexer decided `runId`, and expects it flipped; returns the run's index. */
export async function waitFlipped(env: Env, runId: string): Promise<{ runId: string; index: string }> {
  const services = servicesConfig(env);
  const es = createElasticsearch(services);
  try {
    const state = await runDecided(createRunStore(es, services.indexPrefix), runId, 120_000);
    expect(state.status, state.reason ?? '').toBe('flipped');
    return { runId, index: state.index };
  } finally {
    await es.close();
  }
}

/** One pull (`full` forces a full run), expected to succeed and go live. */
export async function pullUntilFlipped(
  env: Env,
  log: Logger,
  full = false,
): Promise<{ pull: RunSummary; index: string }> {
  const pull = await runPull(producerConfig(env), { log, full });
  expect(pull.status, pull.error ?? '').toBe('SUCCEEDED');
  return { pull, index: (await waitFlipped(env, pull.runId)).index };
}

/** The source's alias: page id → the named fields of its document. */
export async function aliasDocs<T>(env: Env, sourceId: string, fields: (keyof T & string)[]) {
  const services = servicesConfig(env);
  const es = createElasticsearch(services);
  try {
    const res = await es.search<T>({
      index: aliasName(services.indexPrefix, sourceId),
      size: 10_000,
      _source: fields,
    });
    return new Map(res.hits.hits.map((h) => [h._id!, h._source!]));
  } finally {
    await es.close();
  }
}
