// The whole product for the sources tests: transformer, indexer and the sources service in-process on
// the shared stack (topics and indices of the test's own), simulated sites, and a small API client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { servicesConfig, type ServicesConfig } from '../../lib/config.ts';
import { createKafka } from '../../lib/kafka.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { startIndexer } from '../../indexer/service.ts';
import type { StageHandle } from '../../lib/consumer.ts';
import { sourcesConfig } from '../../sources/config.ts';
import { newKeyText } from '../../sources/secret-box.ts';
import { startSources, type SourcesHandle } from '../../sources/service.ts';
import { startTransformer, transformerConfig } from '../../transformer/service.ts';
import { cleanUp, eventually } from '../indexer/fixtures.ts';
import { isolatedEnv } from '../stack/services.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

/** Environment of one test file: its own topics, index prefix, key and admin token files. */
export function sourcesEnv(name: string, extra: Record<string, string> = {}): Record<string, string> {
  const base = isolatedEnv(name);
  const dir = mkdtempSync(join(tmpdir(), 'sources-test-'));
  const keyFile = join(dir, 'sources.key');
  const tokenFile = join(dir, 'admin.token');
  writeFileSync(keyFile, newKeyText());
  writeFileSync(tokenFile, ADMIN_TOKEN);
  return {
    ...base,
    TOPIC_SOURCES: `${base.INDEX_PREFIX}.sources`,
    TOPIC_SOURCE_STATUS: `${base.INDEX_PREFIX}.sources.status`,
    SOURCES_TOPIC_PARTITIONS: '6',
    SOURCES_KEY_FILE: keyFile,
    SOURCES_ADMIN_TOKEN_FILE: tokenFile,
    SOURCES_PORT: '0',
    SOURCES_STATUS_EVERY_S: '1',
    SOURCES_SESSION_TIMEOUT_S: '6',
    SOURCES_MAX_JITTER: '1s',
    INDEXER_SWEEP_SECONDS: '1',
    PRODUCER_MAX_RETRIES: '1',
    PRODUCER_RETRY_AFTER_CAP_S: '1',
    ...extra,
  };
}

export interface Pipeline {
  env: Record<string, string>;
  services: ServicesConfig;
  sources: SourcesHandle;
  api: Api;
  stop(): Promise<void>;
}

export async function startPipeline(
  env: Record<string, string>,
  opts: { log?: Logger } = {},
): Promise<Pipeline> {
  const quiet = createLogger('test');
  quiet.level = 'warn';
  const transformer: StageHandle = await startTransformer(transformerConfig(env), {
    log: quiet,
    progressEvery: 0,
  });
  const indexer: StageHandle = await startIndexer(indexerConfig(env), { log: quiet });
  const sources = await startSources(sourcesConfig(env), { log: opts.log ?? quiet });
  return {
    env,
    services: servicesConfig(env),
    sources,
    api: apiClient(sources.url),
    async stop() {
      await sources.stop();
      await transformer.stop();
      await indexer.stop();
    },
  };
}

/** Deletes the test's topics (pipeline and sources) and indices. */
export async function cleanUpSources(env: Record<string, string>): Promise<void> {
  await cleanUp(servicesConfig(env));
  const admin = createKafka(servicesConfig(env), 'test-cleanup', createLogger('test-cleanup')).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [env.TOPIC_SOURCES!, env.TOPIC_SOURCE_STATUS!] }).catch(() => {});
  await admin.disconnect();
}

export interface Answer {
  status: number;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read what the API returned
  body: any;
}

export type Api = (method: string, path: string, body?: unknown, token?: string) => Promise<Answer>;

/** Every answer is also kept, so a test can grep all of them (for the token, say). */
export const answers: string[] = [];

export function apiClient(url: string): Api {
  return async (method, path, body, token = ADMIN_TOKEN) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    answers.push(text);
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: the text is the body
    }
    return { status: res.status, text, body: parsed };
  };
}

/** Polls GET /api/sources/:id until `check` accepts it. */
export function sourceUntil(
  api: Api,
  id: string,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON
  check: (source: any) => boolean,
  what: string,
  timeoutMs = 120_000,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<any> {
  return eventually(
    async () => {
      const r = await api('GET', `/api/sources/${id}`);
      return r.status === 200 && check(r.body) ? r.body : undefined;
    },
    what,
    timeoutMs,
  );
}
