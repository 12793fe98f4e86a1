// Elasticsearch away mid-run: the indexer waits (live but not ready, nothing committed), resumes when it
// is back, and loses nothing. The shared Elasticsearch stays up: the indexer talks to it through a TCP proxy
// that this test cuts and restores.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { createElasticsearch } from '../../lib/elasticsearch.ts';
import { createLogger } from '../../lib/log.ts';
import { stageDeps, startService } from '../../lib/service.ts';
import { indexerConfig } from '../../indexer/config.ts';
import { createRunStore } from '../../indexer/run-state.ts';
import { startIndexer } from '../../indexer/service.ts';
import { isolatedEnv } from '../stack/services.ts';
import { cleanUp, eventually, openHtmlTopic, pages } from './fixtures.ts';

const OUTAGE_SECONDS = Number(process.env.INDEXER_TEST_OUTAGE_SECONDS ?? 8);

/** A TCP proxy in front of Elasticsearch that can be cut (connections dropped and refused) and restored. */
async function startProxy(target: URL) {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  const listen = () => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  let port = 0;
  await listen();
  port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async cut() {
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
    },
    restore: listen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const env = isolatedEnv('indexer-outage');
const es = createElasticsearch(indexerConfig(env).services);

afterAll(async () => {
  await es.close();
  await cleanUp(indexerConfig(env).services);
});

it(`waits out ${OUTAGE_SECONDS}s without Elasticsearch mid-run, then resumes and loses nothing`, async () => {
  const proxy = await startProxy(new URL(env.ELASTICSEARCH_URL!));
  const cfg = indexerConfig({ ...env, ELASTICSEARCH_URL: proxy.url });
  const store = createRunStore(es, cfg.services.indexPrefix);
  const topic = await openHtmlTopic(cfg.services);
  const log = createLogger('test-indexer');
  // The probes as the CLI runs them (lib/service.ts), told by the indexer when Elasticsearch is away.
  const service = await startService('indexer', log, 0);
  const indexer = await startIndexer(cfg, stageDeps(service, log));
  const probe = async (path: string) => (await fetch(`http://127.0.0.1:${service.port}${path}`)).status;
  const ready = () => probe('/readyz');
  try {
    const run = await topic.start('acme');
    await topic.pages(run, pages(0, 500));
    const runIndex = `${cfg.services.indexPrefix}-acme-${run.runId.toLowerCase()}`;
    await eventually(async () => {
      await es.indices.refresh({ index: runIndex }).catch(() => {});
      return (await es.count({ index: runIndex }).catch(() => ({ count: 0 }))).count === 500;
    }, 'the first half indexed');

    expect(await ready()).toBe(200);
    await proxy.cut();
    await topic.pages(run, pages(500, 1000));
    await topic.end(run);
    expect(
      await eventually(async () => ((await ready()) === 503 ? 503 : undefined), 'readyz not ready'),
    ).toBe(503);
    await new Promise((r) => setTimeout(r, OUTAGE_SECONDS * 1000));
    // Waiting is the right thing to do: not ready (no traffic, no restart), but alive.
    const readyz = await fetch(`http://127.0.0.1:${service.port}/readyz`);
    expect(readyz.status).toBe(503);
    expect(((await readyz.json()) as { checks: Record<string, string> }).checks.elasticsearch).toMatch(
      /^unavailable: /,
    );
    expect(await probe('/livez')).toBe(200);
    expect((await store.get(run.runId))?.status).toBe('indexing');
    await proxy.restore();

    const state = await eventually(async () => {
      const s = await store.get(run.runId);
      return s?.status === 'flipped' ? s : undefined;
    }, 'the run flipped after the outage');
    expect(state).toMatchObject({ docs: 1000, pagesTotal: 1000 });
    expect((await es.count({ index: `${cfg.services.indexPrefix}-acme` })).count).toBe(1000);
    expect(await eventually(async () => ((await ready()) === 200 ? 200 : undefined), 'ready again')).toBe(
      200,
    );
    expect(await probe('/livez')).toBe(200);
  } finally {
    await indexer.stop();
    await service.close();
    await topic.close();
    await proxy.close();
  }
});
