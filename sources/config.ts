// The sources service's configuration, read and validated once: where its topics are, how many pulls
// run at once, how starts are spread, where the encryption key and the admin token live.
import { z } from 'zod';
import { readConfig, vars, type Env } from '../lib/config.ts';
import { indexerConfig, type IndexerConfig } from '../indexer/config.ts';
import { producerTuning, type ProducerTuning } from '../producer/config.ts';

const shape = {
  SOURCES_KEY_FILE: z.string({
    message:
      'must name a file holding the 32-byte encryption key of stored tokens (make one with `npm run sources -- new-key > sources.key`)',
  }),
  SOURCES_ADMIN_TOKEN_FILE: z.string({
    message: 'must name a file holding the admin bearer token the API accepts (any long random string)',
  }),
  SOURCES_HOST: vars.listenHost(),
  SOURCES_PORT: vars.int(0, 65535, 8090).default(8090),
  TOPIC_SOURCES: z.string().min(1).default('confluence.sources'),
  TOPIC_SOURCE_STATUS: z.string().min(1).default('confluence.sources.status'),
  SOURCES_TOPIC_PARTITIONS: vars.int(1, 1000, 12).default(12),
  SOURCES_GROUP_ID: z.string().min(1).optional(),
  SOURCES_MAX_CONCURRENT_PULLS: vars.int(1, 1000, 8).default(8),
  SOURCES_DEFAULT_EVERY: vars.duration('4h').prefault('4h'),
  SOURCES_MAX_JITTER: vars.duration('15m').prefault('15m'),
  SOURCES_SESSION_TIMEOUT_S: vars.int(6, 300, 30).default(30),
  SOURCES_STATUS_EVERY_S: vars.int(1, 60, 2).default(2),
};

export interface SourcesConfig {
  keyFile: string;
  adminTokenFile: string;
  host: string;
  port: number;
  topics: { sources: string; status: string };
  topicPartitions: number;
  /** The consumer group whose membership shares the sources among instances. */
  groupId: string;
  maxConcurrentPulls: number;
  defaultEveryMs: number;
  maxJitterMs: number;
  /** How long a dead instance keeps its sources before the group hands them on. */
  sessionTimeoutMs: number;
  /** How often a running pull's progress is published. */
  statusEveryMs: number;
  producer: ProducerTuning;
  /** For the operations the API offers on runs (release, rollback) and the indices of a source. */
  indexer: IndexerConfig;
}

export function sourcesConfig(env: Env = process.env): SourcesConfig {
  const c = readConfig(shape, env);
  const producer = producerTuning(env);
  return {
    keyFile: c.SOURCES_KEY_FILE,
    adminTokenFile: c.SOURCES_ADMIN_TOKEN_FILE,
    host: c.SOURCES_HOST,
    port: c.SOURCES_PORT,
    topics: { sources: c.TOPIC_SOURCES, status: c.TOPIC_SOURCE_STATUS },
    topicPartitions: c.SOURCES_TOPIC_PARTITIONS,
    groupId: c.SOURCES_GROUP_ID ?? `${producer.services.indexPrefix}-sources`,
    maxConcurrentPulls: c.SOURCES_MAX_CONCURRENT_PULLS,
    defaultEveryMs: c.SOURCES_DEFAULT_EVERY,
    maxJitterMs: c.SOURCES_MAX_JITTER,
    sessionTimeoutMs: c.SOURCES_SESSION_TIMEOUT_S * 1000,
    statusEveryMs: c.SOURCES_STATUS_EVERY_S * 1000,
    producer,
    indexer: indexerConfig(env),
  };
}
