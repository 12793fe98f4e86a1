// Replay: rebuild a run that Kafka still holds as a new run, without calling Confluence. From the raw
// topic the pages are converted again (after a converter fix); from the HTML topic they are indexed
// again (after a mapping change). The new run is linked to the original (`replayOf`) and goes live
// through the indexer under the same guards as any run.
import { createKafka, DEFAULT_COMPRESSION, ensureTopics, kafkaError } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';
import { createCodecs } from '../lib/registry.ts';
import { newRunId } from '../lib/run-id.ts';
import { ExitCode, UserError } from '../lib/errors.ts';
import type { ServicesConfig } from '../lib/config.ts';
import { scanTopic } from '../lib/topic-scan.ts';
import { readRuns, runStartOffsets } from '../lib/runs.ts';
import type { HtmlPageEvent, PageOrFailureEvent, RawPageEvent } from '../schemas/index.ts';
import { createRunWriter } from '../producer/run-writer.ts';

export type ReplaySource = 'raw' | 'html';

export interface ReplaySummary {
  runId: string;
  replayOf: string;
  sourceId: string;
  from: ReplaySource;
  pages: number;
  durationMs: number;
}

export async function replayRun(
  cfg: ServicesConfig,
  opts: { runId: string; from: ReplaySource; log: Logger },
): Promise<ReplaySummary> {
  const started = Date.now();
  const kafka = createKafka(cfg, 'replay', opts.log);
  await ensureTopics(kafka, cfg);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect().catch((err: unknown) => {
    throw kafkaError(cfg, err) ?? err;
  });
  try {
    const codecs = await createCodecs(cfg);
    const original = (await readRuns(kafka, codecs)).get(opts.runId);
    if (!original) {
      throw new UserError(`Run ${opts.runId} is not on the runs topic ${cfg.topics.runs}`, {
        hint: "List runs with `npm run ops -- runs`; a run older than the topics' retention can no longer be replayed.",
      });
    }
    if (original.status !== 'SUCCEEDED') {
      throw new UserError(
        `Run ${opts.runId} did not finish cleanly (${original.status}): there is no complete run to replay`,
        {
          exitCode: ExitCode.runFailed,
          hint: 'Replay a run whose status is SUCCEEDED, or start a new pull with `npm run producer -- run`.',
        },
      );
    }
    const target = opts.from === 'raw' ? 'rawPages' : 'htmlPages';
    const topic = codecs[target].topic;
    const starts = await runStartOffsets(kafka, original, topic);
    const partitions = original.offsets.length;
    const runId = newRunId();
    const log = opts.log.child({ runId, sourceId: original.sourceId, replayOf: original.runId });
    const writer = createRunWriter({
      producer,
      codecs,
      partitions,
      runId,
      sourceId: original.sourceId,
      compression: DEFAULT_COMPRESSION,
      target,
      replayOf: original.runId,
    });
    await writer.start();
    log.info({ from: opts.from, topic }, 'replay started');
    let ended = 0;
    try {
      const { exhausted } = await scanTopic<RawPageEvent | HtmlPageEvent>(
        kafka,
        codecs[target],
        async (records) => {
          const mine = records.map((r) => r.value).filter((e) => e.runId === original.runId);
          const changes = mine.filter((e) => !e.marker);
          if (opts.from === 'raw') {
            const raw = changes as RawPageEvent[];
            await writer.pages(raw.flatMap((e) => (e.page ? [e.page] : []))).acknowledged;
            await writer.remove(raw.flatMap((e) => (e.removal ? [e.removal] : []))).acknowledged;
          } else await writer.forward(changes as PageOrFailureEvent[]).acknowledged;
          const done = mine.some((e) => e.marker?.kind === 'END');
          if (done) ended++;
          return done;
        },
        starts,
      );
      if (ended < partitions || exhausted.length > 0) {
        throw new Error(
          `the topic ${topic} no longer holds all of run ${original.runId} (no END on ${partitions - ended} partition(s))`,
        );
      }
      if (writer.counts.pages !== original.pages) {
        throw new Error(`found ${writer.counts.pages} of the run's ${original.pages} pages in ${topic}`);
      }
    } catch (err) {
      const reason = `replay of ${original.runId} from ${topic} failed: ${(err as Error).message}`;
      await writer.abort(reason, { requests: 0, retries: 0, rateLimited: 0 });
      throw new UserError(reason, {
        exitCode: ExitCode.runFailed,
        hint: 'The replay ended with ABORT markers, so the alias did not move. Raise RAW_RETENTION_HOURS to keep runs replayable longer.',
        cause: err,
      });
    }
    await writer.end({ requests: 0, retries: 0, rateLimited: 0 });
    const summary = {
      runId,
      replayOf: original.runId,
      sourceId: original.sourceId,
      from: opts.from,
      pages: writer.counts.pages,
      durationMs: Date.now() - started,
    };
    log.info(summary, 'replay written: the indexer flips it once it is complete and verified');
    return summary;
  } finally {
    await producer.disconnect();
  }
}
