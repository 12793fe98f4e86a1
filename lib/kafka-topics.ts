// The product's topics: their layout, and creating the missing ones free of races when several services
// start at once on a fresh cluster.
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import type { ServicesConfig } from './config.ts';
import { UserError } from './errors.ts';
import { kafkaError } from './kafka.ts';

/** Topic layout: pages topics share a partition count so the transformer can keep partition p → p. */
function topicSpecs(cfg: ServicesConfig): ITopicConfig[] {
  const retentionMs = String(cfg.rawRetentionHours * 3_600_000);
  const pages = (topic: string, retention: string): ITopicConfig => ({
    topic,
    numPartitions: cfg.partitions,
    replicationFactor: -1,
    configEntries: [
      { name: 'retention.ms', value: retention },
      { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
      { name: 'compression.type', value: 'producer' },
    ],
  });
  return [
    pages(cfg.topics.rawPages, retentionMs),
    pages(cfg.topics.htmlPages, retentionMs),
    pages(cfg.topics.deadLetter, retentionMs),
    {
      topic: cfg.topics.runs,
      numPartitions: 1,
      replicationFactor: -1,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
    latestPagesSpec(cfg),
  ];
}

/**
 * The latest raw page of every id of every source (lib/latest-pages.ts), compacted: kept without a time
 * limit, so a source can be rebuilt without Confluence long after its runs left the raw topic.
 * - min.compaction.lag.ms (1 h): a record stays readable at least this long after a newer one of its
 *   key arrives, so a replay's second pass finds every record its first pass chose.
 * - segment.ms (1 day): only closed segments are compacted; a day bounds how long replaced pages stay.
 * - delete.retention.ms (1 day): how long a tombstone stays readable (a reader that started before it
 *   still sees the deletion).
 */
function latestPagesSpec(cfg: ServicesConfig): ITopicConfig {
  return {
    topic: cfg.topics.latestPages,
    numPartitions: cfg.partitions,
    replicationFactor: -1,
    configEntries: [
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'min.compaction.lag.ms', value: String(3_600_000) },
      { name: 'segment.ms', value: String(86_400_000) },
      { name: 'delete.retention.ms', value: String(86_400_000) },
      { name: 'max.message.bytes', value: String(16 * 1024 * 1024) },
      // Kept for good: stored as zstd whatever codec a producer chose.
      { name: 'compression.type', value: 'zstd' },
    ],
  };
}

/**
 * Creates the product's topics when missing (existing topics are left as they are) and returns the pages
 * topics' partition count. The first thing every service asks Kafka, so an unreachable Kafka is reported here.
 */
export async function ensureTopics(kafka: Kafka, cfg: ServicesConfig): Promise<number> {
  return withAdmin(kafka, cfg, async (admin) => {
    await createMissing(admin, topicSpecs(cfg));
    const names = [cfg.topics.rawPages, cfg.topics.htmlPages, cfg.topics.latestPages];
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    // The answer lists the topics in the broker's order, not in the order asked for.
    const [raw, html, latest] = names.map((name) => topics.find((t) => t.name === name));
    // Partition p of the raw topic is converted into partition p of the HTML topic, and a page's latest
    // records (its page, its facts update) go to the partition its key hashes to among the raw topic's.
    for (const [other, why] of [
      [html, 'The transformer writes raw partition p to HTML partition p'],
      [latest, "A pull writes a page's latest records to its raw partition's number"],
    ] as const) {
      if (raw && other && raw.partitions.length !== other.partitions.length)
        throw new UserError(
          `Topics ${raw.name} (${raw.partitions.length} partitions) and ${other.name} (${other.partitions.length}) differ in partition count`,
          { hint: `${why}: give both topics the same partition count.` },
        );
    }
    return raw!.partitions.length;
  });
}

/** Runs `work` on an admin connection, closed after it; a Kafka failure is reported as what it is. */
async function withAdmin<T>(
  kafka: Kafka,
  cfg: ServicesConfig,
  work: (admin: Admin) => Promise<T>,
): Promise<T> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    try {
      return await work(admin);
    } finally {
      await admin.disconnect();
    }
  } catch (err) {
    throw kafkaError(cfg, err) ?? err;
  }
}

/**
 * Creates the topics that are missing and waits until every partition of every one has a leader.
 * Another process may create the same topics meanwhile (services started together on a fresh cluster):
 * "already exists" is what was wanted, and kafkajs then skips its own wait for leaders, so we wait here.
 */
async function createMissing(admin: Admin, specs: ITopicConfig[]): Promise<void> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((t) => !existing.has(t.topic));
  if (missing.length > 0)
    await admin.createTopics({ topics: missing, waitForLeaders: true }).catch((err: Error) => {
      if (!/already exists/i.test(err.message)) throw err;
    });
  const topics = specs.map((t) => t.topic);
  for (let attempt = 1; ; attempt++) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (err) {
      // A topic just created elsewhere: not yet known to this broker, or its leader not yet elected.
      if (attempt >= LEADER_ATTEMPTS || (err as { retriable?: boolean }).retriable !== true) throw err;
    }
    if (attempt >= LEADER_ATTEMPTS) throw new Error(`topics ${topics.join(', ')} still have no leader`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
const LEADER_ATTEMPTS = 40;

/** Creates compacted topics (one record per key: config and status topics) when missing. */
export async function ensureCompactedTopics(
  kafka: Kafka,
  cfg: ServicesConfig,
  topics: { topic: string; partitions: number }[],
): Promise<void> {
  await withAdmin(kafka, cfg, (admin) =>
    createMissing(
      admin,
      topics.map(({ topic, partitions }) => ({
        topic,
        numPartitions: partitions,
        replicationFactor: -1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      })),
    ),
  );
}
