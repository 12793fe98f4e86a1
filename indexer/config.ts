// The indexer's settings, read and validated once (on top of the shared services config).
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env, type ServicesConfig } from '../lib/config.ts';

const shareVar = z.coerce
  .number({ message: 'must be a share between 0 and 1, e.g. 0.5' })
  .min(0, { message: 'must be a share between 0 and 1, e.g. 0.5' })
  .max(1, { message: 'must be a share between 0 and 1, e.g. 0.5' });

const shape = {
  INDEXER_GROUP_ID: z.string().min(1).optional(),
  INDEX_TEXT_ANALYZER: z
    .string()
    .regex(/^[a-z_]+$/, { message: 'must be an analyzer name, e.g. standard or english' })
    .default('standard'),
  INDEX_REPLICAS: vars.int(0, 10, 0).default(0),
  INDEX_MAX_SHRINK: shareVar.default(0.5),
  INDEX_MAX_AUDIENCE_SHIFT: shareVar.default(0.5),
  // At least 1: the index the alias just left must survive the flip, for in-flight queries and rollback.
  INDEX_KEEP_PREVIOUS: vars.int(1, 100, 1).default(1),
  INDEX_DEAD_RUN_GRACE_SECONDS: vars.int(0, 30 * 86_400, 3600).default(3600),
  // Fractions allowed (tests use a few seconds); at most 30 days.
  INDEX_STALE_RUN_MINUTES: z.coerce
    .number({ message: 'must be a number of minutes, e.g. 360' })
    .positive({ message: 'must be a number of minutes above 0, e.g. 360' })
    .max(30 * 24 * 60, { message: 'must be at most 43200 minutes (30 days), e.g. 360' })
    .default(360),
  INDEX_BULK_MAX_BYTES: vars.int(64 * 1024, 100 * 1024 * 1024, 1024 * 1024).default(1024 * 1024),
  INDEX_BULK_MAX_DOCS: vars.int(1, 100_000, 1000).default(1000),
  INDEX_BULK_CONCURRENCY: vars.int(1, 32, 2).default(2),
  INDEXER_FETCH_MAX_BYTES: vars.int(64 * 1024, 256 * 1024 * 1024, 256 * 1024).default(256 * 1024),
  INDEXER_PARTITIONS_CONCURRENCY: vars.int(1, 64, 3).default(3),
  INDEXER_SWEEP_SECONDS: vars.int(1, 86_400, 60).default(60),
};

export interface IndexerConfig {
  services: ServicesConfig;
  groupId: string;
  textAnalyzer: string;
  replicas: number;
  /** A complete run smaller than (1 - maxShrink) × the live alias's count is held. */
  maxShrink: number;
  /** A run moving more than this share of the live public pages to internal (or back) is held. */
  maxAudienceShift: number;
  keepPrevious: number;
  deadRunGraceMs: number;
  /** An open run with no marker or page for this long is failed: its producer died mid-run. */
  staleRunMs: number;
  bulk: { maxBytes: number; maxDocs: number; concurrency: number };
  /**
   * Kafka fetch size per partition, compressed as on the wire (pages arrive zstd-compressed, 4–20×
   * smaller than decoded, and kafkajs decompresses a whole fetch at once): what a fetch holds in
   * memory is a multiple of it.
   */
  fetchMaxBytes: number;
  /** Records decoded and written at once between heartbeats and commits: one full bulk request. */
  chunk: { records: number; bytes: number };
  /** Partitions whose batches are processed at the same time. */
  partitionsConcurrency: number;
  sweepIntervalMs: number;
}

export function indexerConfig(env: Env = process.env): IndexerConfig {
  const services = servicesConfig(env);
  const c = readConfig(shape, env);
  return {
    services,
    groupId: c.INDEXER_GROUP_ID ?? `${services.indexPrefix}-indexer`,
    textAnalyzer: c.INDEX_TEXT_ANALYZER,
    replicas: c.INDEX_REPLICAS,
    maxShrink: c.INDEX_MAX_SHRINK,
    maxAudienceShift: c.INDEX_MAX_AUDIENCE_SHIFT,
    keepPrevious: c.INDEX_KEEP_PREVIOUS,
    deadRunGraceMs: c.INDEX_DEAD_RUN_GRACE_SECONDS * 1000,
    staleRunMs: Math.round(c.INDEX_STALE_RUN_MINUTES * 60_000),
    bulk: {
      maxBytes: c.INDEX_BULK_MAX_BYTES,
      maxDocs: c.INDEX_BULK_MAX_DOCS,
      concurrency: c.INDEX_BULK_CONCURRENCY,
    },
    fetchMaxBytes: c.INDEXER_FETCH_MAX_BYTES,
    chunk: { records: c.INDEX_BULK_MAX_DOCS, bytes: c.INDEX_BULK_MAX_BYTES },
    partitionsConcurrency: c.INDEXER_PARTITIONS_CONCURRENCY,
    sweepIntervalMs: c.INDEXER_SWEEP_SECONDS * 1000,
  };
}
