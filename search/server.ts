// The AI's search endpoint: GET /search?q=&source=&audience=[&size=] → JSON, next to /healthz and
// /metrics on one small HTTP server (lib/service.ts). Stops on SIGTERM after in-flight requests.
import type { ServerResponse } from 'node:http';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env } from '../lib/config.ts';
import { createElasticsearch, elasticsearchAnswers, verifyElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { scrub } from '../lib/secrets.ts';
import { startService } from '../lib/service.ts';
import {
  audiences,
  parseAudience,
  parseQuery,
  parseSize,
  parseSource,
  search,
  SearchError,
} from './query.ts';

export interface SearchServerConfig {
  host: string;
  port: number;
}

const shape = {
  SEARCH_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:_[\]-]+$/, {
      message: 'must be a host name or IP address to listen on, e.g. 0.0.0.0',
    })
    .default('127.0.0.1'),
  SEARCH_PORT: vars.int(0, 65_535, 8080).default(8080),
};

/** Flags win over the environment (SEARCH_HOST, SEARCH_PORT); both are validated the same way. */
export function searchServerConfig(
  flags: { host?: string; port?: string } = {},
  env: Env = process.env,
): SearchServerConfig {
  const c = readConfig(shape, {
    ...env,
    ...(flags.host !== undefined ? { SEARCH_HOST: flags.host } : {}),
    ...(flags.port !== undefined ? { SEARCH_PORT: flags.port } : {}),
  });
  return { host: c.SEARCH_HOST, port: c.SEARCH_PORT };
}

export interface SearchServer {
  port: number;
  /** Resolves on SIGTERM/SIGINT. */
  stopped: Promise<void>;
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
};

export async function startSearchServer(
  cfg: SearchServerConfig,
  env: Env = process.env,
  log: Logger = createLogger('search'),
): Promise<SearchServer> {
  const services = servicesConfig(env);
  const es = createElasticsearch(services);
  await verifyElasticsearch(es, services);
  const service = await startService('search', log, cfg.port, { host: cfg.host });
  service.readyWhen('elasticsearch', () => elasticsearchAnswers(es));
  const requests = new Counter({
    name: 'search_requests_total',
    help: 'Search requests by audience and HTTP status',
    labelNames: ['audience', 'status'] as const,
    registers: [service.metrics],
  });
  const seconds = new Histogram({
    name: 'search_request_seconds',
    help: 'Search request duration, Elasticsearch included',
    labelNames: ['status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [service.metrics],
  });

  service.route('/search', async (req, res, url) => {
    const end = seconds.startTimer();
    const p = url.searchParams;
    const audience = p.get('audience') ?? '';
    const done = (status: number, body: unknown) => {
      send(res, status, body);
      requests.inc({
        audience: audiences.find((a) => a === audience) ?? 'invalid',
        status,
      });
      end({ status });
    };
    if (req.method !== 'GET') return done(405, { error: 'only GET is supported' });
    try {
      const input = {
        source: parseSource(p.get('source') ?? undefined),
        audience: parseAudience(p.get('audience') ?? undefined),
        q: parseQuery(p.get('q') ?? undefined),
        size: parseSize(p.get('size') ?? undefined),
      };
      const result = await search(es, services.indexPrefix, input);
      log.debug(
        { sourceId: input.source, audience: input.audience, results: result.results.length },
        'search answered',
      );
      done(200, result);
    } catch (err) {
      if (!(err instanceof SearchError)) {
        log.error({ err, sourceId: p.get('source') }, 'search failed');
        return done(500, { error: 'internal error' });
      }
      (err.status === 503 ? log.warn : log.info).call(
        log,
        { status: err.status, sourceId: p.get('source') },
        scrub(err.message),
      );
      done(err.status, { error: scrub(err.message), ...(err.hint ? { hint: err.hint } : {}) });
    }
  });
  log.info({ host: cfg.host, port: service.port }, 'search: GET /search listening');

  return {
    port: service.port,
    stopped: service.stopped,
    close: async () => {
      await service.close();
      await es.close();
    },
  };
}
