// "Why is this page missing?": follows one page id through a run — the raw topic (did the producer
// emit it?), the HTML topic (converted, or a failure?), the dead-letter topic, the run's state, the
// run's index and the live alias — and says where it stopped.
import type { ServicesConfig } from '../lib/config.ts';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { partitionOf, type Kafka } from '../lib/kafka.ts';
import { latestKey } from '../lib/latest-pages.ts';
import type { Codec, Codecs } from '../lib/registry.ts';
import { newestRunOf, readRuns, runStartOffsets } from '../lib/runs.ts';
import { UserError } from '../lib/errors.ts';
import { scanTopic } from '../lib/topic-scan.ts';
import type { Run } from '../schemas/index.ts';
import { aliasHolders } from '../indexer/alias.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { aliasName } from '../indexer/index-names.ts';

export interface TraceStep {
  where: string;
  found: boolean;
  detail: string;
}

/** Finds the page's record of `run` in one partition of a pages topic (stops at the run's END). */
async function findInTopic<T extends { runId: string; marker: { kind: string } | null }>(
  kafka: Kafka,
  codec: Pick<Codec<T>, 'topic' | 'decode'>,
  run: Run,
  partition: number,
  matches: (value: T) => boolean,
): Promise<{ value: T; offset: string } | undefined> {
  const starts = await runStartOffsets(kafka, run, codec.topic);
  const start = starts.get(partition);
  if (start === undefined) return undefined;
  let found: { value: T; offset: string } | undefined;
  await scanTopic(
    kafka,
    codec,
    async (records) => {
      for (const { value, offset } of records) {
        if (value.runId !== run.runId) continue;
        if (matches(value)) found = { value, offset };
        if (value.marker && value.marker.kind !== 'START') return true;
      }
      return found !== undefined;
    },
    { starts: new Map([[partition, start]]) },
  );
  return found;
}

export async function tracePage(
  cfg: ServicesConfig,
  kafka: Kafka,
  codecs: Codecs,
  es: Elasticsearch,
  opts: { pageId: string; sourceId: string; runId?: string },
): Promise<{ run: Run; steps: TraceStep[] }> {
  const runs = await readRuns(kafka, codecs);
  const run = opts.runId ? runs.get(opts.runId) : newestRunOf(runs, opts.sourceId);
  if (!run) {
    throw new UserError(
      opts.runId
        ? `Run ${opts.runId} is not on the runs topic`
        : `No run of source ${opts.sourceId} is on the runs topic`,
      {
        hint: "List runs with `npm run ops -- runs`; runs older than the topics' retention cannot be traced.",
      },
    );
  }
  const steps: TraceStep[] = [];
  // Records are partitioned by `<source>/<page id>`; runs written before 2026-12-01 by the page id alone.
  const inRaw = (p: number) =>
    findInTopic(kafka, codecs.rawPages, run, p, (e) => (e.page ?? e.facts)?.id === opts.pageId);
  let partition = partitionOf(latestKey(run.sourceId, opts.pageId), run.offsets.length);
  let raw = await inRaw(partition);
  const older = partitionOf(opts.pageId, run.offsets.length);
  if (!raw && older !== partition) {
    raw = await inRaw(older);
    if (raw) partition = older;
  }
  const sent = raw ? (raw.value.page ?? raw.value.facts)! : null;
  steps.push(
    raw && sent
      ? {
          where: `raw topic ${cfg.topics.rawPages}`,
          found: true,
          detail: `partition ${partition} offset ${raw.offset}: ${raw.value.page ? `"${raw.value.page.title}"` : 'a facts update (the body kept from the base)'} v${sent.version} in space ${sent.space.key} (${sent.space.type}); the policy said ${sent.visibility ?? 'nothing (a record from before the policy)'}${sent.visibilityReason ? ` (${sent.visibilityReason})` : ''}`,
        }
      : {
          where: `raw topic ${cfg.topics.rawPages}`,
          found: false,
          detail: `run ${run.runId} (${run.status}) did not emit it: the account cannot read the page (restricted, or its space hidden from the account), the page is not current (draft, archived, trashed) or was created after the run — check it in Confluence with the same account`,
        },
  );
  const html = await findInTopic(
    kafka,
    codecs.htmlPages,
    run,
    partition,
    (e) => (e.page ?? e.facts ?? e.failure)?.pageId === opts.pageId,
  );
  if (raw || html) {
    steps.push(
      !html
        ? {
            where: `HTML topic ${cfg.topics.htmlPages}`,
            found: false,
            detail: 'not converted yet: is the transformer running? (its consumer lag is in /metrics)',
          }
        : html.value.failure
          ? {
              where: `HTML topic ${cfg.topics.htmlPages}`,
              found: false,
              detail: `conversion failed: ${html.value.failure.reason} — the whole page is on the dead-letter topic ${cfg.topics.deadLetter}; fix the converter and replay the run from the raw topic`,
            }
          : {
              where: `HTML topic ${cfg.topics.htmlPages}`,
              found: true,
              detail: `offset ${html.offset}: ${html.value.page ? 'converted' : 'facts update passed on'}, visibility ${(html.value.page ?? html.value.facts)!.visibility} (${(html.value.page ?? html.value.facts)!.visibilityReason})`,
            },
    );
  }
  const store = createRunStore(es, cfg.indexPrefix);
  const state = await store.get(run.runId).catch(() => null);
  steps.push(
    state
      ? {
          where: `run state ${store.index}`,
          found: true,
          detail: `${state.status}${state.reason ? `: ${state.reason}` : ''}`,
        }
      : {
          where: `run state ${store.index}`,
          found: false,
          detail: 'the indexer has not seen this run yet: is it running?',
        },
  );
  if (state) {
    const inRunIndex = await es.exists({ index: state.index, id: opts.pageId }).catch(() => false);
    steps.push({
      where: `run index ${state.index}`,
      found: inRunIndex,
      detail: inRunIndex
        ? 'indexed'
        : state.deletedAt
          ? 'the index was deleted (retention)'
          : 'not in the run index',
    });
  }
  const alias = aliasName(cfg.indexPrefix, run.sourceId);
  const live = await aliasHolders(es, alias).catch(() => [] as string[]);
  const served = live.length > 0 && (await es.exists({ index: alias, id: opts.pageId }).catch(() => false));
  steps.push({
    where: `alias ${alias}`,
    found: served,
    detail: `${live.length === 0 ? 'points nowhere yet' : `points at ${live.join(', ')}`}; the page is ${served ? '' : 'not '}served`,
  });
  return { run, steps };
}

export function formatTrace(pageId: string, trace: { run: Run; steps: TraceStep[] }): string {
  const lines = [`page ${pageId}, run ${trace.run.runId} of ${trace.run.sourceId} (${trace.run.status}):`];
  for (const s of trace.steps) lines.push(`  ${s.found ? '✓' : '✗'} ${s.where}: ${s.detail}`);
  return `${lines.join('\n')}\n`;
}
