// One run: read the live version and plan it (refresh-plan.ts: full, or a refresh building on the live
// version), list every readable space, then its pages' metadata, facts and the bodies that changed by
// id (pull.ts), straight to Kafka with at most one unacknowledged send per body worker, then close it.
// Any listing that still fails after its retries aborts the whole run: a failed run, never a short one.
import type { ServicesConfig } from '../lib/config.ts';
import { createKafka, kafkaError, type Kafka, type Producer } from '../lib/kafka.ts';
import { ensureTopics } from '../lib/kafka-topics.ts';
import type { Logger } from '../lib/log.ts';
import { createCodecs, registryError, type Codecs } from '../lib/registry.ts';
import { newRunId } from '../lib/run-id.ts';
import { scrub } from '../lib/secrets.ts';
import type { Run, Space } from '../schemas/index.ts';
import type { ProducerConfig } from './config.ts';
import type { ConfluenceStats } from './confluence-client.ts';
import { explainFailure } from './failures.ts';
import { createElasticsearch, elasticsearchError } from '../lib/elasticsearch.ts';
import { ExitCode, UserError } from '../lib/errors.ts';
import { readLiveIndex, type LiveIndex } from './live-index.ts';
import { planRefresh, type RefreshPlan } from './refresh-plan.ts';
import { CONVERTER_VERSION } from '../transformer/convert.ts';
import { createProgress, progressFields, type LiveProgress } from './progress.ts';
import { listingOrder, pullSite, type PullProgress } from './pull.ts';
import { createRunWriter } from './run-writer.ts';
import { createEnricher } from './enrich.ts';
import { createRestrictionReader } from './restrictions.ts';
import { createUserDirectory } from './users.ts';
import { inScope } from './scope.ts';
import { openSite, type ConfluenceSite } from './site.ts';

/** What a run did, as the runs topic records it, plus what a person needs at the end of it. */
export interface RunSummary extends Pick<
  Run,
  | 'runId'
  | 'sourceId'
  | 'spaces'
  | 'pages'
  | 'personalPages'
  | 'baseRunId'
  | 'unchanged'
  | 'removed'
  | 'bytes'
  | 'requests'
  | 'retries'
  | 'rateLimited'
  | 'error'
> {
  status: Exclude<Run['status'], 'RUNNING'>;
  /** Full (and why) or a refresh. */
  plan: RefreshPlan;
  /** Response body bytes read from Confluence (`bytes` counts the Avro records sent to Kafka). */
  confluenceBytes: number;
  durationMs: number;
  /** What to do about the error, when known. */
  hint: string | null;
}

/** A Kafka producer and codecs several runs share (the sources service pulls many sites at once). */
export interface PullConnection {
  producer: Producer;
  codecs: Codecs;
  partitions: number;
}

export interface RunOptions {
  log: Logger;
  /** Aborting stops the pull and ends the run with ABORT markers (e.g. on SIGTERM). */
  signal?: AbortSignal;
  interactive?: boolean;
  /** Called as the pull moves (each space listed, each listing acknowledged): the live progress. */
  onProgress?: (progress: LiveProgress) => void;
  /** Use this connection instead of opening one; it is left open. */
  connection?: PullConnection;
  /** Fetch every body even if the live version is a sound base (`producer run --full`). */
  full?: boolean;
}

/** Opens the connection a run writes through; the caller disconnects `producer`. */
export async function connectPull(services: ServicesConfig, log: Logger): Promise<PullConnection> {
  const kafka: Kafka = createKafka(services, 'producer', log);
  const partitions = await ensureTopics(kafka, services);
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await producer.connect().catch((err: unknown) => {
      throw kafkaError(services, err) ?? err;
    });
    const codecs = await createCodecs(services);
    return { producer, codecs, partitions };
  } catch (err) {
    await producer.disconnect().catch(() => {}); // an open producer would keep the process alive
    throw err;
  }
}

/**
 * The live version: the base a refresh builds on, and the pages the pull drops only once confirmed gone.
 * Its pages are read while the run lists the site (the pull waits for them where it needs them).
 */
async function readLive(cfg: ProducerConfig): Promise<LiveIndex | null> {
  const es = createElasticsearch(cfg.services);
  const explain = (err: unknown) =>
    elasticsearchError(cfg.services, err) ??
    new UserError(
      `Cannot read the live index of ${cfg.sourceId} at ${cfg.services.elasticsearchUrl}: ${(err as Error).message}`,
      {
        exitCode: ExitCode.network,
        hint: 'The run needs it to confirm deletions before dropping pages: check ELASTICSEARCH_URL and that Elasticsearch is up, then run again.',
        cause: err,
      },
    );
  const live = await readLiveIndex(es, cfg.services.indexPrefix, cfg.sourceId).catch(async (err: unknown) => {
    await es.close();
    throw explain(err);
  });
  if (!live) {
    await es.close();
    return null;
  }
  const pages = live.pages
    .catch((err: unknown) => {
      throw explain(err);
    })
    .finally(() => es.close());
  pages.catch(() => {}); // awaited by the pull
  return { ...live, pages };
}

export async function runPull(cfg: ProducerConfig, opts: RunOptions): Promise<RunSummary> {
  const runId = newRunId();
  const log = opts.log.child({ runId, sourceId: cfg.sourceId });
  const shared = opts.connection;
  const { producer, codecs, partitions } = shared ?? (await connectPull(cfg.services, log));
  const disconnect = () => (shared ? Promise.resolve() : producer.disconnect());
  const writer = createRunWriter({
    producer,
    codecs,
    partitions,
    runId,
    sourceId: cfg.sourceId,
    compression: cfg.compression,
  });
  const progress = createProgress({ interactive: opts.interactive ?? false, log });
  const failed = new AbortController();
  const signal = failed.signal;
  let error: string | null = null;
  let hint: string | null = null;
  // Read before START, which names the base of a refresh; a failure to read fails the run (below).
  const { live, unread } = await readLive(cfg).then(
    (index) => ({ live: index, unread: null }),
    (err: unknown) => ({ live: null, unread: { err } }),
  );
  const plan = planRefresh({
    live,
    converter: CONVERTER_VERSION,
    fullEveryMs: cfg.fullRefreshEveryMs,
    forceFull: opts.full ?? false,
    now: writer.startedAt,
  });
  try {
    await writer.start(plan.kind === 'incremental' ? plan.base : null);
  } catch (err) {
    await disconnect();
    // Kafka, the registry (the run record's schema) or neither: say which, or pass the error on as it is.
    throw kafkaError(cfg.services, err) ?? registryError(cfg.services, err) ?? err;
  }
  if (opts.signal?.aborted) failed.abort(opts.signal.reason);
  opts.signal?.addEventListener('abort', () => failed.abort(opts.signal!.reason), { once: true });
  let site: ConfluenceSite | undefined;
  try {
    log.info(
      {
        site: cfg.siteUrl,
        deployment: cfg.deployment,
        partitions,
        topic: codecs.rawPages.topic,
        ...(plan.kind === 'full'
          ? { refresh: 'full', fullBecause: plan.reason, detail: plan.detail }
          : { refresh: 'incremental', baseRunId: plan.base.baseRunId, fullAt: new Date(plan.base.fullAt) }),
      },
      'run started',
    );
    if (unread) throw unread.err;
    site = await openSite(cfg, { connections: cfg.concurrency, retry: cfg.retry, log, signal });
    // Before any page: a token the site serves as anonymous would pull only the public subset.
    const account = await site.verifyIdentity(signal);
    log.info({ account: account.accountId ?? account.username, apiUrl: site.apiUrl }, 'signed in');
    const enrich = createEnricher({
      facts: createRestrictionReader(site.client, {
        v1Root: site.v1Root,
        unreadable: cfg.visibility.unreadable,
        onUnreadable: (err) =>
          log.warn(
            { status: err.status },
            'Confluence would not say which pages are restricted; its pages are synced as internal',
          ),
      }).site(),
      users: createUserDirectory(site.client, { v1Root: site.v1Root, log }),
      ctx: { converter: CONVERTER_VERSION, policy: cfg.visibility },
    });
    const spaces: Space[] = [];
    for await (const batch of site.spaces(signal))
      spaces.push(...batch.filter((space) => inScope(space, cfg.scope)));
    writer.counts.spaces = spaces.length;
    const tick = (p: PullProgress) => {
      const { pages, unchanged, removed } = writer.counts;
      const counts = { ...p, pages: pages + unchanged, unchanged, removed };
      progress.update(counts);
      const { requests, retries, rateLimited } = site!.stats;
      const fields = progressFields(counts, Date.now() - writer.startedAt);
      opts.onProgress?.({ runId, startedAt: writer.startedAt, ...fields, requests, retries, rateLimited });
    };
    tick({ spacesDone: 0, spacesTotal: spaces.length, listed: 0 });
    await pullSite(
      {
        source: site,
        enrich,
        writer,
        spaces: listingOrder(spaces, live?.spaceSizes),
        concurrency: cfg.concurrency,
        signal,
        log,
        onProgress: tick,
        ...(live ? { live: live.pages } : {}),
        incremental: plan.kind === 'incremental',
      },
      failed,
    );
  } catch (err) {
    // The first failure (or the stop request) is the reason; what it interrupted elsewhere is noise.
    const cause = failed.signal.aborted ? failed.signal.reason : err;
    const failure = explainFailure(cause, cfg);
    error = scrub(failure.message);
    hint = failure.hint ? scrub(failure.hint) : null;
  } finally {
    progress.stop();
  }
  const stats: ConfluenceStats = site?.stats ?? { requests: 0, retries: 0, rateLimited: 0, bytes: 0 };
  try {
    const run = error === null ? await writer.end(stats) : await writer.abort(error, stats);
    const counts = {
      status: run.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED',
      spaces: run.spaces,
      pages: run.pages,
      personalPages: run.personalPages,
      baseRunId: run.baseRunId,
      unchanged: run.unchanged,
      removed: run.removed,
      bytes: run.bytes,
      requests: run.requests,
      retries: run.retries,
      rateLimited: run.rateLimited,
      confluenceBytes: stats.bytes,
      durationMs: (run.endedAt ?? Date.now()) - run.startedAt,
      error,
      hint,
    } as const;
    if (error === null)
      log.info(counts, 'run succeeded'); // the child logger carries runId and sourceId
    else log.error(counts, 'run failed');
    return { runId, sourceId: cfg.sourceId, plan, ...counts };
  } finally {
    await site?.close();
    await disconnect();
  }
}
