// The consumer both stages run on (kafkajs's split: lifecycle here, the fetch loop in consumer-batch.ts,
// commit bookkeeping per chunk there). Connects, subscribes from the oldest retained record, and runs
// until stop(); a failure of the service's own work ends `done` with that error instead of retrying the
// same records forever, so a supervisor (or the CLI) sees it.
import type { Registry } from 'prom-client';
import { batchLoop, type ChunkContext, type ChunkLimits, type Entry } from './consumer-batch.ts';
import { groupMembershipLost, kafkaReadiness, type Kafka } from './kafka.ts';
import type { Logger } from './log.ts';

export type { ChunkContext, Entry };

/** What startTransformer and startIndexer return. */
export interface StageHandle {
  metrics: Registry;
  /** Rejects with the error if the service crashes; resolves after stop(). */
  done: Promise<void>;
  /** Finishes the chunk in hand, commits what was acknowledged, and disconnects. */
  stop(): Promise<void>;
}

export interface ConsumerSpec<T> {
  /** Names the metrics (`<service>_consumer_lag`, …) and the log lines. */
  service: string;
  kafka: Kafka;
  log: Logger;
  metrics: Registry;
  groupId: string;
  topic: string;
  decode(value: Buffer): Promise<T>;
  handle(entries: Entry<T>[], ctx: ChunkContext): Promise<void>;
  chunk: ChunkLimits;
  /** Bytes per fetch (compressed, as on the wire): the bound on what one fetch may hold in memory. */
  fetch: { maxBytes: number; maxBytesPerPartition: number };
  partitionsConcurrency: number;
  sessionTimeoutMs?: number;
  /** Where to add the Kafka check of /readyz (the CLI's probes). */
  readyWhen?(name: string, check: () => Promise<unknown>): void;
}

export interface RunningConsumer {
  /** Rejects with the first error of the service's work (or kafkajs's, when it gives up); resolves after stop(). */
  done: Promise<void>;
  /** Graceful: the chunk in hand finishes and is committed, then the consumer leaves the group. */
  stop(): Promise<void>;
  /** Ends `done` with `err` at once: no further chunk is handled or committed. */
  crash(err: Error): Promise<void>;
  /** Keeps the group session alive from work outside a chunk's context. */
  heartbeat(): Promise<void>;
}

export async function startConsumer<T>(spec: ConsumerSpec<T>): Promise<RunningConsumer> {
  const consumer = spec.kafka.consumer({
    groupId: spec.groupId,
    ...(spec.sessionTimeoutMs ? { sessionTimeout: spec.sessionTimeoutMs } : {}),
    maxBytes: spec.fetch.maxBytes,
    maxBytesPerPartition: spec.fetch.maxBytesPerPartition,
    // kafkajs restarts itself after a lost connection; an error of ours is not retried (see crash()).
    retry: { restartOnFailure: async (err) => err.name.startsWith('KafkaJS') },
  });
  const done = Promise.withResolvers<void>();
  done.promise.catch(() => {}); // a caller that only calls stop() need not watch for crashes
  let running = true;
  let closing: Promise<void> | null = null;
  let heartbeat = async () => {};
  const probe = kafkaReadiness(spec.kafka);
  spec.readyWhen?.('kafka', probe.check);
  const close = (err?: Error) =>
    (closing ??= (async () => {
      running = false;
      await consumer.disconnect().catch(() => {});
      await probe.close();
      if (err) done.reject(err);
      else done.resolve();
    })());

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!running) return;
    if (payload.restart) spec.log.warn({ err: payload.error }, `${spec.service}: consumer restarting`);
    else void close(payload.error);
  });
  const eachBatch = batchLoop({
    service: spec.service,
    topic: spec.topic,
    log: spec.log,
    metrics: spec.metrics,
    chunk: spec.chunk,
    decode: spec.decode,
    running: () => running,
    async handle(entries, ctx) {
      heartbeat = ctx.heartbeat;
      try {
        await spec.handle(entries, ctx);
      } catch (err) {
        if (!running) return;
        const lost = groupMembershipLost(err);
        if (lost) {
          // Handed to kafkajs, which rejoins; nothing of this chunk was committed.
          spec.log.warn(
            { err: lost.message, partition: ctx.partition },
            `${spec.service}: left the group mid-chunk; rejoining`,
          );
          throw lost;
        }
        spec.log.error({ err, partition: ctx.partition }, `${spec.service}: crashed`);
        void close(err as Error);
      }
    },
  });

  await consumer.connect();
  // A new group starts at the oldest retained record: starting at the end would cut a run in progress.
  await consumer.subscribe({ topic: spec.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: spec.partitionsConcurrency,
    eachBatch,
  });
  return {
    done: done.promise,
    stop: () => close(),
    crash: (err) => close(err),
    heartbeat: () => heartbeat(),
  };
}
