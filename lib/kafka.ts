// The Kafka client is made here and only here (kafkajs today; this module is the seam to swap it).
import kafkajs, {
  CompressionTypes,
  Kafka,
  logLevel,
  type ISocketFactory,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import { readFile } from 'node:fs/promises';
import { connect, isIP } from 'node:net';
import { connect as connectTls } from 'node:tls';
import zlib from 'node:zlib';
import type { ServicesConfig } from './config.ts';
import { isTlsTrustFailure, type KafkaSasl } from './connections.ts';
import { installProduceEncoder } from './kafka-produce.ts';
import { registerSecret } from './secrets.ts';
import {
  BrokerUnreachableError,
  InfraError,
  KafkaLoginRejectedError,
  KafkaNotAuthorizedError,
  TlsUntrustedError,
} from './errors.ts';
import type { Logger } from './log.ts';

export type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer, Admin } from 'kafkajs';

// We pick kafkajs's default partitioner knowingly; its migration notice is noise in our logs.
process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs leaves Nagle's algorithm on: a request written while an earlier one is unacknowledged then
// waits for the broker's delayed ACK (~40 ms on Linux). Requests are whole buffers, so send at once.
const socketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? connectTls({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect)
    : connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, 60_000);
  return socket;
};

const TRANSIENT =
  /coordinator is (not available|loading)|not the (leader|coordinator)|no leader|leader not available/i;

/** kafkajs's SASL options: OAUTHBEARER re-reads its token file at every login, so a refresher can rotate it. */
function saslOptions(sasl: KafkaSasl | undefined): SASLOptions | undefined {
  if (sasl?.mechanism !== 'oauthbearer') return sasl;
  const { tokenFile } = sasl;
  return {
    mechanism: 'oauthbearer',
    oauthBearerProvider: async () => {
      const value = (await readFile(tokenFile, 'utf8')).trim();
      registerSecret(value);
      return { value };
    },
  };
}

export function createKafka(cfg: ServicesConfig, clientId: string, log: Logger): Kafka {
  const kafkaLog = log.child({ component: 'kafkajs' });
  const { tls, sasl } = cfg.kafkaSecurity;
  const saslConfig = saslOptions(sasl);
  return new Kafka({
    clientId,
    brokers: cfg.kafkaBrokers,
    ...(tls ? { ssl: tls } : {}),
    ...(saslConfig ? { sasl: saslConfig } : {}),
    socketFactory,
    connectionTimeout: 5_000,
    requestTimeout: 60_000,
    retry: { initialRetryTime: 300, retries: 8 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        // kafkajs logs an error response at ERROR even when it is transient and it retries (a fresh
        // broker's coordinator, a leader election); those only matter if they persist, which surfaces anyway.
        const transient = typeof rest.error === 'string' && TRANSIENT.test(rest.error);
        kafkaLog[transient ? 'debug' : (levels[level] ?? 'info')](rest, message);
      },
  });
}

const {
  KafkaJSAggregateError,
  KafkaJSBrokerNotFound,
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
  KafkaJSSASLAuthenticationError,
} = kafkajs;
// Exported by kafkajs at runtime but missing from its type declarations.
const { KafkaJSCreateTopicError, KafkaJSNoBrokerAvailableError } = kafkajs as unknown as {
  KafkaJSCreateTopicError: new (...args: never[]) => InstanceType<typeof KafkaJSProtocolError> & {
    topic: string;
  };
  KafkaJSNoBrokerAvailableError: new (...args: never[]) => Error;
};

const AUTHORIZATION: Record<string, KafkaNotAuthorizedError['resource']> = {
  TOPIC_AUTHORIZATION_FAILED: 'topic',
  GROUP_AUTHORIZATION_FAILED: 'group',
  CLUSTER_AUTHORIZATION_FAILED: 'cluster',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'transactional-id',
};

/** `err` and what it wraps: kafkajs nests the real failure in retries, `cause`s and aggregates. */
function* chain(err: unknown, depth = 0): Generator<unknown> {
  if (!err || depth > 6) return;
  yield err;
  if (err instanceof KafkaJSAggregateError) for (const e of err.errors) yield* chain(e, depth + 1);
  yield* chain((err as { cause?: unknown }).cause, depth + 1);
}

/**
 * What a kafkajs failure is, from kafkajs's own error classes: an untrusted certificate, a rejected SASL
 * login, an ACL refusal (topic, group, cluster) or no broker answering. Undefined for anything else (a
 * record too large, a bug): that is not an outage and must not be reported as one.
 */
export function kafkaError(cfg: ServicesConfig, err: unknown): InfraError | undefined {
  if (err instanceof InfraError) return err;
  const errors = [...chain(err)];
  if (!errors.some((e) => e instanceof KafkaJSError || e instanceof KafkaJSAggregateError)) return undefined;
  const where = cfg.kafkaBrokers.join(',');
  const { protocol, sasl } = cfg.kafkaSecurity;
  if (isTlsTrustFailure(err)) return new TlsUntrustedError('kafka', where, false, err);
  if (errors.some((e) => e instanceof KafkaJSSASLAuthenticationError)) {
    const principal =
      sasl?.mechanism === 'oauthbearer'
        ? 'the token in KAFKA_SASL_OAUTHBEARER_TOKEN_FILE'
        : `KAFKA_SASL_USERNAME=${sasl && 'username' in sasl ? sasl.username : ''}`;
    return new KafkaLoginRejectedError(where, sasl?.mechanism.toUpperCase() ?? 'SASL', principal, err);
  }
  const denied = errors.filter(
    (e): e is InstanceType<typeof KafkaJSProtocolError> =>
      e instanceof KafkaJSProtocolError && AUTHORIZATION[e.type] !== undefined,
  );
  if (denied.length > 0) {
    const names = denied.flatMap((e) => (e instanceof KafkaJSCreateTopicError ? [e.topic] : []));
    return new KafkaNotAuthorizedError(where, AUTHORIZATION[denied[0]!.type]!, [...new Set(names)], err);
  }
  const unreachable = errors.some(
    (e) =>
      e instanceof KafkaJSConnectionError ||
      e instanceof KafkaJSRequestTimeoutError ||
      e instanceof KafkaJSBrokerNotFound ||
      e instanceof KafkaJSNoBrokerAvailableError ||
      e instanceof KafkaJSGroupCoordinatorNotFound,
  );
  // Retries exhausted on a connection-level failure (kafkajs wraps the last one).
  if (unreachable || (err instanceof KafkaJSNumberOfRetriesExceeded && errors.length === 1))
    return new BrokerUnreachableError(where, protocol, err);
  return undefined;
}

// The group went on without this member: a rebalance, or a session that lapsed while the work of a chunk
// (or a busy machine) kept it from heartbeating. Not a failure of the service: kafkajs's runner rejoins when
// such an error reaches it, and the chunk in hand, not yet committed, is done again by the partition's owner.
const MEMBERSHIP_LOST = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'NOT_COORDINATOR_FOR_GROUP',
  'UNKNOWN_MEMBER_ID',
]);

/** The kafkajs error, itself or wrapped in `err`, saying this consumer lost its group membership. */
export function groupMembershipLost(err: unknown): Error | undefined {
  for (const e of chain(err)) if (e instanceof KafkaJSProtocolError && MEMBERSHIP_LOST.has(e.type)) return e;
  return undefined;
}

/** How page batches are compressed on the wire and on disk (bench/README.md#compression measures them). */
export const COMPRESSIONS = ['zstd', 'gzip', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];
/** zstd: a third of gzip's CPU both ways, and fewer bytes, on these pages (bench/README.md#compression). */
export const DEFAULT_COMPRESSION: Compression = 'zstd';

export function compressionType(c: Compression): CompressionTypes {
  return { zstd: CompressionTypes.ZSTD, gzip: CompressionTypes.GZIP, none: CompressionTypes.None }[c];
}

// kafkajs ships gzip only; zstd comes from Node's own zlib (Node 24). Registered here, where every client
// is made, so every consumer decodes what any producer sends.
/**
 * Level 1: on these batches it costs about half of level 3's CPU for ~3% more bytes (bench/README.md#compression).
 * Synchronous, on the calling thread, both ways: zlib's asynchronous one-shot runs each call through a
 * stream (a new compression context, a transform, its callbacks, a hop to libuv's pool and back), which
 * cost more main-thread time than the compression itself on 500 KB batches; a batch takes ~1 ms.
 */
const ZSTD_OPTIONS = { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1 } };
// (Node's named-export detection misses CompressionCodecs in kafkajs's CommonJS index: take it off the default.)
kafkajs.CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  compress: (encoder: { buffer: Buffer }) =>
    Promise.resolve(zlib.zstdCompressSync(encoder.buffer, ZSTD_OPTIONS)),
  decompress: (buffer: Buffer) => Promise.resolve(zlib.zstdDecompressSync(buffer)),
});

// Record batches encoded once into exact-size buffers, and compressed once for two topics (lib/kafka-produce.ts).
installProduceEncoder();

export { CompressionTypes };
export const { CompressionCodecs } = kafkajs;

/**
 * The partition kafkajs's default partitioner (Java's: murmur2 of the key's UTF-8, made positive, modulo
 * the count) picks for `key`: producers that count records per partition set it explicitly, and it matches
 * what any Kafka client would choose. Computed here in 32-bit integer arithmetic: kafkajs's murmur2 works in
 * 64-bit Long objects, ~3 KB of garbage per key, and a pull asks once per page (test/lib/kafka-partition.test.ts
 * compares the two).
 */
export function partitionOf(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

const M = 0x5bd1e995;
/** Keys are encoded into this buffer (a longer key gets its own). */
const keyScratch = Buffer.allocUnsafe(1024);
/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `key`'s UTF-8 bytes. */
function murmur2(key: string): number {
  const data = key.length * 3 <= keyScratch.length ? keyScratch : Buffer.from(key);
  const length = data === keyScratch ? keyScratch.write(key) : data.length;
  let h = 0x9747b28c ^ length;
  const tail = length & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    h = Math.imul(h, M) ^ Math.imul(k, M);
  }
  const rest = length & 3;
  if (rest > 0) {
    if (rest === 3) h ^= data[tail + 2]! << 16;
    if (rest >= 2) h ^= data[tail + 1]! << 8;
    h = Math.imul(h ^ data[tail]!, M);
  }
  h = Math.imul(h ^ (h >>> 13), M);
  return h ^ (h >>> 15);
}

/**
 * A /readyz check that the brokers answer: one admin connection kept for the probes, without retries
 * (a probe must answer now). `close` disconnects it when the service stops.
 */
export function kafkaReadiness(kafka: Kafka): { check: () => Promise<void>; close: () => Promise<void> } {
  const admin = kafka.admin({ retry: { retries: 0 } });
  let connected: Promise<void> | undefined;
  return {
    async check() {
      connected ??= admin.connect().catch((err: unknown) => {
        connected = undefined;
        throw err;
      });
      await connected;
      await admin.describeCluster();
    },
    close: () => admin.disconnect().catch(() => {}),
  };
}
