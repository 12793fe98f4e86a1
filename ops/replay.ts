// Replay: rebuild a version as a new run, without calling Confluence, that goes live through the indexer
// under the same guards as any run.
// - A run that Kafka still holds: from the raw topic its pages are converted again (after a converter
//   fix); from the HTML topic they are indexed again (after a mapping change). `replayOf` = the run.
// - A source, from the latest-pages topic (lib/latest-pages.ts): the latest raw page of every page id,
//   as a new full run, however old its runs are. `replayOf` = that topic's name.
import { createKafka, DEFAULT_COMPRESSION, kafkaError, type Producer } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import type { Logger } from '../lib/log.ts';
import { createCodecs, type Codecs } from '../lib/registry.ts';
import { newRunId } from '../lib/run-id.ts';
import { ExitCode, UserError } from '../lib/errors.ts';
import type { ServicesConfig } from '../lib/config.ts';
import { indexLatest, readLatest } from '../lib/latest-pages.ts';
import { scanTopic } from '../lib/topic-scan.ts';
import { newestRunOf, readRuns, runStartOffsets } from '../lib/runs.ts';
import type { HtmlPageEvent, PageOrFailureEvent, RawPageEvent } from '../schemas/index.ts';
import { createRunWriter, type RunWriter } from '../producer/run-writer.ts';

export type ReplaySource = 'raw' | 'html' | 'latest';

export interface ReplaySummary {
  runId: string;
  replayOf: string;
  sourceId: string;
  from: ReplaySource;
  pages: number;
  durationMs: number;
  /** Something the operator should know before trusting the rebuilt version. */
  warning?: string;
}

const NO_HTTP = { requests: 0, retries: 0, rateLimited: 0 };
/** How often a long replay logs how far it got. */
const PROGRESS_EVERY_MS = 5_000;

interface ReplayContext {
  kafka: ReturnType<typeof createKafka>;
  producer: Producer;
  codecs: Codecs;
  /** Of the pages topics. */
  partitions: number;
}

async function withReplay<T>(cfg: ServicesConfig, log: Logger, fn: (c: ReplayContext) => Promise<T>) {
  const kafka = createKafka(cfg, 'replay', log);
  const partitions = await ensureTopics(kafka, cfg);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect().catch((err: unknown) => {
    throw kafkaError(cfg, err) ?? err;
  });
  try {
    return await fn({ kafka, producer, codecs: await createCodecs(cfg), partitions });
  } finally {
    await producer.disconnect();
  }
}

/**
 * START, `fill` (which writes the pages through the writer), then END; if `fill` fails, ABORT with the
 * reason, so the alias does not move, and a UserError that says so.
 */
async function writeReplay(writer: RunWriter, what: string, hint: string, fill: () => Promise<void>) {
  await writer.start();
  try {
    await fill();
  } catch (err) {
    const reason = `replay of ${what} failed: ${(err as Error).message}`;
    await writer.abort(reason, NO_HTTP);
    throw new UserError(reason, {
      exitCode: ExitCode.runFailed,
      hint: `The replay ended with ABORT markers, so the alias did not move. ${hint}`,
      cause: err,
    });
  }
  await writer.end(NO_HTTP);
}

export async function replayRun(
  cfg: ServicesConfig,
  opts: { runId: string; from: 'raw' | 'html'; log: Logger },
): Promise<ReplaySummary> {
  const started = Date.now();
  return withReplay(cfg, opts.log, async ({ kafka, producer, codecs }) => {
    const original = (await readRuns(kafka, codecs)).get(opts.runId);
    if (!original) {
      throw new UserError(`Run ${opts.runId} is not on the runs topic ${cfg.topics.runs}`, {
        hint: "List runs with `npm run ops -- runs`; a run older than the topics' retention can no longer be replayed, but its source can: `npm run ops -- replay --source <sourceId>`.",
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
    // Its records are only what changed since its base: replayed alone they would build a short index.
    if (original.baseRunId !== null) {
      throw new UserError(
        `Run ${opts.runId} is an incremental refresh (it holds only the changes since run ${original.baseRunId}): replaying it alone cannot rebuild the source`,
        {
          hint: `Rebuild the source from the latest page of every id instead: \`npm run ops -- replay --source ${original.sourceId}\`.`,
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
    log.info({ from: opts.from, topic }, 'replay started');
    const what = `${original.runId} from ${topic}`;
    const hint = 'Raise RAW_RETENTION_HOURS to keep runs replayable longer.';
    await writeReplay(writer, what, hint, async () => {
      let ended = 0;
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
        { starts },
      );
      if (ended < partitions || exhausted.length > 0) {
        throw new Error(
          `the topic ${topic} no longer holds all of run ${original.runId} (no END on ${partitions - ended} partition(s))`,
        );
      }
      if (writer.counts.pages !== original.pages) {
        throw new Error(`found ${writer.counts.pages} of the run's ${original.pages} pages in ${topic}`);
      }
    });
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
  });
}

/**
 * Rebuilds a source from the latest-pages topic as a new full run on the raw topic: a first pass finds
 * the latest record of each of its page ids (tombstones delete), a second re-reads those records in
 * order and sends their pages on, so memory holds the ids, never the bodies.
 */
export async function replaySource(
  cfg: ServicesConfig,
  opts: { sourceId: string; log: Logger },
): Promise<ReplaySummary> {
  const started = Date.now();
  const { sourceId } = opts;
  const topic = cfg.topics.latestPages;
  return withReplay(cfg, opts.log, async ({ kafka, producer, codecs, partitions }) => {
    const index = await indexLatest(kafka, topic, sourceId, codecs.latestPages);
    if (index.pages.size === 0) {
      const others = [...index.sources].sort();
      throw new UserError(
        index.records === 0
          ? `The latest-pages topic ${topic} holds no pages at all`
          : `The latest-pages topic ${topic} holds no current page of source ${sourceId}`,
        {
          hint:
            others.length > 0
              ? `It holds pages of: ${others.join(', ')}. Check the source id (\`npm run ops -- runs\` lists them); a source that was never pulled, or that was deleted, has nothing to replay.`
              : 'Every pull keeps its pages there: pull the source once (`npm run producer -- run`), then replay it. Check that TOPIC_LATEST_PAGES names the topic the producer writes.',
        },
      );
    }
    const total = index.pages.size;
    const runId = newRunId();
    const log = opts.log.child({ runId, sourceId, replayOf: topic });
    // After a successful run the topic holds exactly that run's version, unless pages of it were never
    // sent since the topic exists (kept unchanged by refreshes since before it): then say so.
    const newest = newestRunOf(await readRuns(kafka, codecs), sourceId);
    const warning =
      newest?.status === 'SUCCEEDED' && newest.pages !== total
        ? `the latest-pages topic holds ${total} pages of ${sourceId}, its newest run ${newest.runId} had ${newest.pages}: ` +
          'pages kept unchanged since before the topic existed are missing from it. A full pull (`npm run producer -- run --full`) fills it; the indexer holds a rebuild that shrinks the alias past its guard.'
        : undefined;
    if (warning) log.warn({ pages: total, newestRun: newest?.runId, newestPages: newest?.pages }, warning);
    log.info({ topic, pages: total, recordsRead: index.records }, 'replay from the latest pages started');
    const writer = createRunWriter({
      producer,
      codecs,
      partitions,
      runId,
      sourceId,
      compression: DEFAULT_COMPRESSION,
      replayOf: topic,
    });
    const hint =
      'Run it again; if pages keep missing, the topic is being compacted faster than min.compaction.lag.ms allows.';
    await writeReplay(writer, `${sourceId} from ${topic}`, hint, async () => {
      const spaces = new Set<string>();
      let lastLog = Date.now();
      // One batch unacknowledged while the next is read, as a pull keeps one per worker.
      let acknowledged = Promise.resolve();
      const { missing } = await readLatest(kafka, codecs.latestPages, index, async (pages) => {
        for (const page of pages) spaces.add(page.space.id);
        await acknowledged;
        const sending = writer.pages(pages);
        acknowledged = sending.acknowledged;
        acknowledged.catch(() => {}); // awaited with the next batch or below
        await sending.sent;
        writer.counts.spaces = spaces.size;
        if (Date.now() - lastLog >= PROGRESS_EVERY_MS) {
          lastLog = Date.now();
          const seconds = (lastLog - started) / 1000;
          const done = writer.counts.pages;
          log.info({ pages: done, of: total, pagesPerSecond: Math.round(done / seconds) }, 'replay progress');
        }
      });
      await acknowledged;
      if (missing > 0 || writer.counts.pages !== total) {
        throw new Error(
          `read ${writer.counts.pages} of the source's ${total} latest pages (${missing} record(s) compacted away meanwhile)`,
        );
      }
    });
    const summary = {
      runId,
      replayOf: topic,
      sourceId,
      from: 'latest' as const,
      pages: writer.counts.pages,
      durationMs: Date.now() - started,
      ...(warning ? { warning } : {}),
    };
    log.info(summary, 'replay written: the indexer flips it once it is complete and verified');
    return summary;
  });
}
