// The AI's search endpoint: GET /search?q=&source=[&audience=][&size=] → JSON, for callers with an API
// key bound to an audience and sources (keys.ts), rate-limited per key, with its OpenAPI document at
// /openapi.json; next to /livez, /readyz and /metrics on one small HTTP server (lib/service.ts).
// Stops on SIGTERM after in-flight requests.
import type { ServerResponse } from 'node:http';
import { Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { readConfig, servicesConfig, vars, type Env } from '../lib/config.ts';
import { createElasticsearch, elasticsearchAnswers, verifyElasticsearch } from '../lib/elasticsearch.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { scrub } from '../lib/secrets.ts';
import { startService } from '../lib/service.ts';
import { authenticate, authorize, rateLimiter, readApiKeys, type ApiKey } from './keys.ts';
import { searchOpenApi } from './openapi.ts';
import { parseAudience, parseQuery, parseSize, parseSource, search, SearchError } from './query.ts';

export interface SearchServerConfig {
  host: string;
  port: number;
  keys: ApiKey[];
}

const shape = {
  SEARCH_HOST: vars.listenHost(),
  SEARCH_PORT: vars.int(0, 65_535, 8080).default(8080),
  SEARCH_API_KEYS_FILE: z.string().min(1).optional(),
  SEARCH_RATE_LIMIT_PER_MINUTE: vars.int(1, 100_000, 120).default(120),
};

/** Longest request line accepted (path and query): q is at most 1000 characters, URL-encoded ×3. */
const MAX_URL_BYTES = 4096;

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
  return {
    host: c.SEARCH_HOST,
    port: c.SEARCH_PORT,
    keys: readApiKeys(c.SEARCH_API_KEYS_FILE, c.SEARCH_RATE_LIMIT_PER_MINUTE),
  };
}

export interface SearchServer {
  port: number;
  /** Resolves on SIGTERM/SIGINT. */
  stopped: Promise<void>;
  close(): Promise<void>;
}

const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
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
    help: 'Search requests by API key, audience and HTTP status',
    labelNames: ['key', 'audience', 'status'] as const,
    registers: [service.metrics],
  });
  const seconds = new Histogram({
    name: 'search_request_seconds',
    help: 'Search request duration, Elasticsearch included',
    labelNames: ['status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [service.metrics],
  });
  const limited = rateLimiter();

  service.route('/openapi.json', (_req, res) => send(res, 200, searchOpenApi));
  service.route('/search', async (req, res, url) => {
    const end = seconds.startTimer();
    const p = url.searchParams;
    let keyName = 'none';
    let audience = 'invalid';
    const done = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      send(res, status, body, headers);
      requests.inc({ key: keyName, audience, status });
      end({ status });
    };
    if (req.method !== 'GET') return done(405, { error: 'only GET is supported' }, { allow: 'GET' });
    if ((req.url ?? '').length > MAX_URL_BYTES)
      return done(414, { error: `the request line is over ${MAX_URL_BYTES} bytes`, hint: 'Shorten q.' });
    if (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'])
      return done(413, {
        error: 'GET /search takes no request body',
        hint: 'Put the parameters in the query string.',
      });
    const key = authenticate(cfg.keys, req.headers.authorization);
    if ('status' in key)
      return done(
        key.status,
        { error: key.error, hint: key.hint },
        { 'www-authenticate': 'Bearer realm="search"' },
      );
    keyName = key.name;
    const wait = limited(key);
    if (wait > 0)
      return done(
        429,
        {
          error: `key ${key.name} is over its limit of ${key.requestsPerMinute} requests per minute`,
          hint: `Retry in ${wait} s.`,
        },
        { 'retry-after': String(wait) },
      );
    try {
      const input = {
        source: parseSource(p.get('source') ?? undefined),
        audience: parseAudience(p.get('audience') ?? undefined),
        q: parseQuery(p.get('q') ?? undefined),
        size: parseSize(p.get('size') ?? undefined),
      };
      const denied = authorize(key, input.source, input.audience);
      if (denied) return done(denied.status, { error: denied.error, hint: denied.hint });
      audience = input.audience;
      const result = await search(es, services.indexPrefix, input);
      log.debug(
        { key: key.name, sourceId: input.source, audience: input.audience, results: result.results.length },
        'search answered',
      );
      done(200, result);
    } catch (err) {
      if (!(err instanceof SearchError)) {
        log.error({ err, key: key.name, sourceId: p.get('source') }, 'search failed');
        return done(500, { error: 'internal error' });
      }
      (err.status === 503 ? log.warn : log.info).call(
        log,
        { status: err.status, key: key.name, sourceId: p.get('source') },
        scrub(err.message),
      );
      done(err.status, { error: scrub(err.message), ...(err.hint ? { hint: err.hint } : {}) });
    }
  });
  log.info(
    { host: cfg.host, port: service.port, keys: cfg.keys.map((k) => k.name) },
    'search: GET /search listening',
  );

  return {
    port: service.port,
    stopped: service.stopped,
    close: async () => {
      await service.close();
      await es.close();
    },
  };
}
