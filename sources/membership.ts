// Which sources this instance schedules: those whose sources-topic partition Kafka's group membership
// assigns to it. No coordinator of our own: when an instance dies, the group notices within the session
// timeout and hands its partitions to the others. The consumer reads nothing it needs (the topic view
// has every record); it exists to hold the membership, and heartbeats in its fetch loop.
import type { Kafka } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';

export interface Membership {
  /** Partitions assigned now (empty while rebalancing has not yet settled, or after a crash). */
  readonly partitions: ReadonlySet<number>;
  onChange(listener: (partitions: ReadonlySet<number>) => void): void;
  close(): Promise<void>;
}

export async function joinGroup(opts: {
  kafka: Kafka;
  groupId: string;
  topic: string;
  sessionTimeoutMs: number;
  log: Logger;
}): Promise<Membership> {
  const { kafka, topic, log } = opts;
  const consumer = kafka.consumer({
    groupId: opts.groupId,
    sessionTimeout: opts.sessionTimeoutMs,
    rebalanceTimeout: Math.max(opts.sessionTimeoutMs, 10_000),
    heartbeatInterval: Math.max(500, Math.floor(opts.sessionTimeoutMs / 6)),
    // Short fetch waits: kafkajs heartbeats between fetches, and this topic is mostly quiet.
    maxWaitTimeInMs: Math.min(1000, Math.floor(opts.sessionTimeoutMs / 6)),
  });
  let partitions: ReadonlySet<number> = new Set();
  const listeners: ((p: ReadonlySet<number>) => void)[] = [];
  const set = (next: ReadonlySet<number>) => {
    partitions = next;
    for (const l of listeners) l(next);
  };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = new Set(payload.memberAssignment[topic] ?? []);
    log.info(
      { partitions: [...assigned].sort((a, b) => a - b), memberId: payload.memberId },
      'sources assigned',
    );
    set(assigned);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    log.error({ err: payload.error, restart: payload.restart }, 'sources group membership crashed');
    set(new Set());
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  await consumer.run({ autoCommit: true, eachBatch: async () => {} });
  return {
    get partitions() {
      return partitions;
    },
    onChange: (listener) => void listeners.push(listener),
    async close() {
      set(new Set());
      await consumer.disconnect();
    },
  };
}
