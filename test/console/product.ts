// The whole product for the console tests, in-process on the real stack: transformer, indexer and the
// sources service with the console, on topics and indices of the test's own.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { servicesConfig } from '../../lib/config.ts';
import { createLogger } from '../../lib/log.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { startIndexer } from '../../indexer/service.ts';
import { transformerConfig, startTransformer } from '../../transformer/service.ts';
import { sourcesConfig } from '../../sources/config.ts';
import { newKeyText } from '../../sources/secret-box.ts';
import { startSources } from '../../sources/service.ts';
import { registerConsole } from '../../sources/console.ts';
import { cleanUp } from '../indexer/fixtures.ts';
import { isolatedEnv } from '../stack/services.ts';

export interface Product {
  /** The console's address, e.g. http://127.0.0.1:40123/console/ */
  consoleUrl: string;
  apiUrl: string;
  adminToken: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startProduct(name: string): Promise<Product> {
  const log = createLogger(name);
  log.level = 'warn';
  const dir = await mkdtemp(join(tmpdir(), `cks-${name}-`));
  const adminToken = randomBytes(24).toString('hex');
  await writeFile(join(dir, 'admin.token'), adminToken);
  await writeFile(join(dir, 'sources.key'), newKeyText());
  const env = isolatedEnv(name, {
    SOURCES_KEY_FILE: join(dir, 'sources.key'),
    SOURCES_ADMIN_TOKEN_FILE: join(dir, 'admin.token'),
    SOURCES_PORT: '0',
    SOURCES_STATUS_EVERY_S: '1',
    SOURCES_MAX_JITTER: '1s',
    INDEXER_SWEEP_SECONDS: '1',
  });
  env.TOPIC_SOURCES = `${env.INDEX_PREFIX}.sources`;
  env.TOPIC_SOURCE_STATUS = `${env.INDEX_PREFIX}.sources.status`;
  const transformer = await startTransformer(transformerConfig(env), { log, progressEvery: 0 });
  const indexer = await startIndexer(indexerConfig(env), { log });
  const sources = await startSources(sourcesConfig(env), { log, plugins: [registerConsole] });
  return {
    consoleUrl: `${sources.url}/console/`,
    apiUrl: `${sources.url}/api`,
    adminToken,
    env,
    async stop() {
      await sources.stop();
      await transformer.stop();
      await indexer.stop();
      await cleanUp(servicesConfig(env));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
