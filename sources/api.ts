// The sources service's HTTP API: fastify (schema validation, serialization and the OpenAPI document
// all from the zod schemas in api-schemas.ts), every /api route behind the admin bearer token, and one
// error edge that turns what went wrong into { error, hint } with the right status. The console, and
// anything else served next to the API, registers itself through `plugins`.
import { createHash, timingSafeEqual } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { scrub } from '../lib/secrets.ts';
import { elasticsearchError } from '../lib/elasticsearch.ts';
import { ElasticsearchUnreachableError } from '../lib/errors.ts';
import { SearchError } from '../search/query.ts';
import { SourceRequestError } from './admin.ts';
import { registerRoutes, type RouteDeps } from './routes.ts';

export interface ApiOptions {
  /** The bearer token every /api request must carry. */
  adminToken: string;
  log: Logger;
  /** Served next to the API (the console's static files, for one): registered after the API routes. */
  plugins?: FastifyPluginAsync[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export async function buildApi(deps: RouteDeps, opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: opts.log as FastifyBaseLogger, bodyLimit: 64 * 1024 });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'Confluence knowledge sync — sources API',
        description:
          'Connect Confluence sites, schedule their pulls, watch progress, and see the pages the AI sees. ' +
          'Every /api route needs `Authorization: Bearer <admin token>`.',
        version: '1',
      },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer' } } },
      security: [{ admin: [] }],
    },
    transform: jsonSchemaTransform,
  });

  const expected = digest(opts.adminToken);
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/api/') || req.url.startsWith('/api/openapi.json')) return;
    const header = req.headers.authorization ?? '';
    const given = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
    if (!given || !timingSafeEqual(digest(given), expected)) {
      return reply.code(401).send({
        error: given ? 'The admin token is not valid' : 'An admin token is required',
        hint: 'Send `Authorization: Bearer <token>` with the token in the file SOURCES_ADMIN_TOKEN_FILE names.',
      });
    }
  });

  app.setErrorHandler((err, req, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const lines = err.validation.map(
        (v) =>
          `${v.instancePath.replace(/^\//, '').replaceAll('/', '.') || err.validationContext}: ${v.message}`,
      );
      return reply.code(400).send({
        error: `The request is not valid: ${lines.join('; ')}`,
        hint: 'See the request schema in /api/openapi.json.',
      });
    }
    if (err instanceof SourceRequestError || err instanceof SearchError)
      return reply.code(err.status).send(problemOf(err));
    if (elasticsearchError(undefined, err) instanceof ElasticsearchUnreachableError)
      return reply.code(503).send({
        error: `Elasticsearch is not reachable: ${scrub((err as Error).message)}`,
        hint: 'Check ELASTICSEARCH_URL and that the cluster is up; try again.',
      });
    if (err instanceof UserError) return reply.code(422).send(problemOf(err));
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ error: scrub((err as Error).message) });
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal error', hint: 'The service log has the details.' });
  });

  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  await app.register(async (api) => registerRoutes(api, deps));
  for (const plugin of opts.plugins ?? []) await app.register(plugin);
  await app.ready();
  return app;
}

function problemOf(err: UserError): { error: string; hint?: string } {
  return { error: scrub(err.message), ...(err.hint ? { hint: scrub(err.hint) } : {}) };
}
