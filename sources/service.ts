// The sources service: the API, the scheduler and the topic views, wired once. Start order: config and
// secrets (fail before touching anything), Kafka topics, the views caught up, group membership, API,
// scheduler. Stop: the scheduler first (pulls in hand end with ABORT markers), then the rest.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { createElasticsearch, elasticsearchAnswers } from '../lib/elasticsearch.ts';
import { ConfigError } from '../lib/errors.ts';
import { createKafka, kafkaError, kafkaReadiness } from '../lib/kafka.ts';
import { ensureCompactedTopics } from '../lib/kafka-topics.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { registerSecret } from '../lib/secrets.ts';
import { startService, type ServiceHandle } from '../lib/service.ts';
import { connectPull } from '../producer/run.ts';
import { forgetSource } from '../lib/latest-pages.ts';
import { createAdmin } from './admin.ts';
import { buildApi } from './api.ts';
import { registerConsole } from './console.ts';
import type { SourcesConfig } from './config.ts';
import { joinGroup } from './membership.ts';
import { parseRecord, type SourceRecord } from './record.ts';
import { startScheduler } from './scheduler.ts';
import { loadKey } from './secret-box.ts';
import { parseStatus, type SourceStatus } from './status.ts';
import { openTopicView } from './topic-view.ts';

export interface SourcesHandle {
  /** Where the API listens, e.g. http://127.0.0.1:8090 */
  url: string;
  instance: string;
  app: FastifyInstance;
  service: ServiceHandle;
  /** Source ids this instance is pulling now. */
  running(): string[];
  stop(): Promise<void>;
}

function readAdminToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(
      `SOURCES_ADMIN_TOKEN_FILE=${JSON.stringify(file)} cannot be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Put a long random string in a file (e.g. `openssl rand -hex 32 > admin.token`) and point SOURCES_ADMIN_TOKEN_FILE at it.',
    );
  }
  if (token.length < 16)
    throw new ConfigError(
      `SOURCES_ADMIN_TOKEN_FILE=${JSON.stringify(file)} holds a token shorter than 16 characters`,
      'Use a long random string, e.g. `openssl rand -hex 32 > admin.token`.',
    );
  registerSecret(token);
  return token;
}

export async function startSources(
  cfg: SourcesConfig,
  /** plugins: what is served next to the API (default: the console). */
  opts: { log?: Logger; plugins?: FastifyPluginAsync[]; metricsPort?: number } = {},
): Promise<SourcesHandle> {
  const instance = `${hostname()}:${process.pid}:${randomBytes(2).toString('hex')}`;
  const log = opts.log ?? createLogger('sources', { instance });
  const key = loadKey(cfg.keyFile);
  const adminToken = readAdminToken(cfg.adminTokenFile);
  const services = cfg.producer.services;
  const kafka = createKafka(services, 'sources', log);
  const compacted = [cfg.topics.sources, cfg.topics.status].map((topic) => ({
    topic,
    partitions: cfg.topicPartitions,
  }));
  await ensureCompactedTopics(kafka, services, compacted);
  const connection = await connectPull(services, log);
  const closers: (() => Promise<unknown>)[] = [() => connection.producer.disconnect()];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn({ err }, 'while stopping'));
  };
  try {
    const open = <T>(topic: string, parse: (json: unknown) => T | undefined) =>
      openTopicView<T>({ kafka, producer: connection.producer, topic, parse, log });
    const sources = await open<SourceRecord>(cfg.topics.sources, parseRecord);
    closers.push(() => sources.close());
    const status = await open<SourceStatus>(cfg.topics.status, parseStatus);
    closers.push(() => status.close());
    await Promise.all([sources.ready, status.ready]);
    const sourcePartitions = await partitionsOf(kafka, cfg.topics.sources).catch((err: unknown) => {
      throw kafkaError(services, err) ?? err;
    });
    const membership = await joinGroup({
      kafka,
      groupId: cfg.groupId,
      topic: cfg.topics.sources,
      sessionTimeoutMs: cfg.sessionTimeoutMs,
      log,
    });
    closers.push(() => membership.close());
    const es = createElasticsearch(services);
    closers.push(() => es.close());
    const service = await startService('sources', log, opts.metricsPort);
    closers.push(() => service.close());
    const kafkaProbe = kafkaReadiness(kafka);
    closers.push(() => kafkaProbe.close());
    service.readyWhen('kafka', kafkaProbe.check);
    service.readyWhen('elasticsearch', () => elasticsearchAnswers(es));
    const admin = createAdmin({
      sources,
      status,
      key,
      tuning: cfg.producer,
      es,
      forgetPages: (sourceId) =>
        forgetSource(kafka, connection.producer, services.topics.latestPages, sourceId),
      defaultEveryMs: cfg.defaultEveryMs,
      log,
    });
    const app = await buildApi(
      { cfg, admin, sources, status, es, kafka, codecs: connection.codecs, log },
      { adminToken, log, plugins: opts.plugins ?? [registerConsole] },
    );
    closers.push(() => app.close());
    const url = await app.listen({ host: cfg.host, port: cfg.port });
    const scheduler = startScheduler({
      cfg,
      sources,
      status,
      membership,
      sourcePartitions,
      key,
      connection,
      instance,
      log,
      metrics: service.metrics,
    });
    closers.push(() => scheduler.stop());
    log.info(
      { url, instance, sources: sources.size, openapi: `${url}/api/openapi.json` },
      'sources service ready',
    );
    return { url, instance, app, service, running: scheduler.running, stop: close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function partitionsOf(kafka: ReturnType<typeof createKafka>, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    return meta!.partitions.length;
  } finally {
    await admin.disconnect();
  }
}
