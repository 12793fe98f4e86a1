// The API's routes, one line of intent each: the work is in admin.ts (changes), views.ts (reads) and
// the indexer's operations (runs, release, rollback, trace).
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { Kafka } from '../lib/kafka.ts';
import type { Logger } from '../lib/log.ts';
import type { Codecs } from '../lib/registry.ts';
import { listRuns, release, rollback } from '../ops/runs.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { tracePage } from '../ops/trace.ts';
import { search } from '../search/query.ts';
import { SourceRequestError, type Admin } from './admin.ts';
import * as s from './api-schemas.ts';
import type { SourcesConfig } from './config.ts';
import { sourceChange, sourceInput, viewOf, type SourceRecord } from './record.ts';
import { staleAfter } from './scheduler.ts';
import type { SourceStatus } from './status.ts';
import type { TopicView } from './topic-view.ts';
import { listPages, sourceDetail, statusView } from './views.ts';
import { glanceAt } from './glance.ts';

export interface RouteDeps {
  cfg: SourcesConfig;
  admin: Admin;
  sources: TopicView<SourceRecord>;
  status: TopicView<SourceStatus>;
  es: Elasticsearch;
  /** For tracing a page through the topics. */
  kafka: Kafka;
  codecs: Codecs;
  log: Logger;
}

const errors = {
  400: s.problem,
  401: s.problem,
  404: s.problem,
  409: s.problem,
  422: s.problem,
  503: s.problem,
};

export function registerRoutes(app: FastifyInstance, d: RouteDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const { cfg, admin } = d;
  const viewOpts = () => ({ now: Date.now(), staleMs: staleAfter(cfg), maxJitterMs: cfg.maxJitterMs });
  const detail = (r: SourceRecord) => sourceDetail(d.es, cfg.indexer, r, d.status.get(r.id), viewOpts());
  const tags = ['sources'];

  api.post('/api/sources', {
    schema: {
      tags,
      summary: 'Connect a site: checks the credentials first (as `producer check`), then stores the source',
      body: sourceInput,
      response: { 201: s.created, ...errors },
    },
    handler: async (req, reply) => {
      const { record, check } = await admin.create(req.body);
      return reply.code(201).send({
        ...viewOf(record),
        check: { spacesSeen: check.spacesSeen, pagesReadableIn: check.pagesReadableIn },
      });
    },
  });

  api.get('/api/sources', {
    schema: {
      tags,
      summary: 'Every source, with its status',
      response: { 200: z.array(s.sourceSummary), ...errors },
    },
    handler: async () => {
      const records = [...d.sources.values()].sort((a, b) => a.id.localeCompare(b.id));
      const glance = await glanceAt(
        d.es,
        cfg.indexer,
        records.map((r) => r.id),
      );
      return records.map((r) => ({
        ...viewOf(r),
        status: statusView(r, d.status.get(r.id), viewOpts()),
        live: glance.get(r.id)?.live ?? null,
        latestRun: glance.get(r.id)?.latestRun ?? null,
      }));
    },
  });

  api.get('/api/sources/:id', {
    schema: {
      tags,
      summary:
        'One source: the live run, the last runs, the live index (pages public/internal) and when it went live',
      params: s.sourceParams,
      response: { 200: s.sourceDetail, ...errors },
    },
    handler: async (req) => detail(admin.find(req.params.id)),
  });

  api.patch('/api/sources/:id', {
    schema: {
      tags,
      summary: 'Change the schedule, the scope or the credentials (new credentials are checked first)',
      params: s.sourceParams,
      body: sourceChange,
      response: { 200: s.sourceView, ...errors },
    },
    handler: async (req) => viewOf(await admin.change(req.params.id, req.body)),
  });

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const)
    api.post(`/api/sources/:id/${action}`, {
      schema: {
        tags,
        summary: paused ? 'Pause the schedule (a running pull finishes)' : 'Resume the schedule',
        params: s.sourceParams,
        response: { 200: s.sourceView, ...errors },
      },
      handler: async (req) => viewOf(await admin.setPaused(req.params.id, paused)),
    });

  api.delete('/api/sources/:id', {
    schema: {
      tags,
      summary: 'Delete a source: stops its schedule, removes its alias, its indices and its stored token',
      params: s.sourceParams,
      response: { 200: s.removed, ...errors },
    },
    handler: async (req) => admin.remove(req.params.id),
  });

  api.post('/api/sources/:id/runs', {
    schema: {
      tags,
      summary:
        'Run now: a refresh of what changed, or with {"full": true} a full run (refused while a pull of the source is running: never two at once)',
      params: s.sourceParams,
      body: s.runNowBody,
      response: { 202: s.runNowAnswer, ...errors },
    },
    handler: async (req, reply) => {
      const full = req.body?.full ?? false;
      const { record, running } = await admin.runNow(req.params.id, { full });
      if (running) {
        const p = d.status.get(record.id)?.running;
        throw new SourceRequestError(
          409,
          `A pull of ${record.id} is running (${p?.pages ?? 0} pages so far): no second one is started`,
          `Watch it with GET /api/sources/${record.id}; run now again once it ended.`,
        );
      }
      return reply.code(202).send({
        sourceId: record.id,
        requestedAt: record.runRequestedAt!,
        full,
        message: `A ${full ? 'full ' : ''}pull starts within seconds, as soon as the global cap on concurrent pulls allows.`,
      });
    },
  });

  api.get('/api/sources/:id/runs', {
    schema: {
      tags: ['runs'],
      summary: 'Runs of the source as the indexer recorded them, newest first',
      params: s.sourceParams,
      querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }),
      response: { 200: z.array(s.runRow), ...errors },
    },
    handler: async (req) => {
      admin.find(req.params.id);
      return listRuns(d.es, cfg.indexer, { sourceId: req.params.id, limit: req.query.limit });
    },
  });

  api.post('/api/sources/:id/runs/:runId/release', {
    schema: {
      tags: ['runs'],
      summary: 'Release a held run: it goes live (only the shrink guard is waived)',
      params: s.sourceParams.extend({
        runId: z.string().regex(/^[0-9A-Z]{26}$/, { message: 'must be a run id' }),
      }),
      response: { 200: s.runRow, ...errors },
    },
    handler: async (req) => {
      const { id, runId } = req.params;
      admin.find(id);
      const run = await createRunStore(d.es, cfg.indexer.services.indexPrefix).get(runId);
      if (!run || run.sourceId !== id)
        throw new SourceRequestError(
          404,
          `No run ${runId} of source ${id}`,
          `List its runs with GET /api/sources/${id}/runs.`,
        );
      const after = await release(d.es, cfg.indexer, runId, d.log.child({ sourceId: id, runId }));
      return { ...after, live: true };
    },
  });

  api.post('/api/sources/:id/rollback', {
    schema: {
      tags: ['runs'],
      summary: 'Move the alias back to the previous kept version (one _aliases call)',
      params: s.sourceParams,
      response: { 200: z.object({ from: s.runRow, to: s.runRow }), ...errors },
    },
    handler: async (req) => {
      admin.find(req.params.id);
      const { from, to } = await rollback(d.es, cfg.indexer, req.params.id);
      return { from: { ...from, live: false }, to: { ...to, live: true } };
    },
  });

  api.get('/api/sources/:id/pages', {
    schema: {
      tags: ['pages'],
      summary: 'The pages the AI sees for this source (the live alias), with search and paging',
      params: s.sourceParams,
      querystring: s.pagesQuery,
      response: { 200: s.pagesAnswer, ...errors },
    },
    handler: async (req) => {
      admin.find(req.params.id);
      const found = await listPages(d.es, cfg.indexer, req.params.id, req.query);
      return { ...found, from: req.query.from, size: req.query.size };
    },
  });

  api.get('/api/sources/:id/spaces', {
    schema: {
      tags,
      summary: "The site's spaces as the source's credentials see them (to pick a scope from)",
      params: s.sourceParams,
      response: { 200: s.spacesAnswer, ...errors },
    },
    handler: async (req) => ({ spaces: await admin.spaces(req.params.id) }),
  });

  api.get('/api/sources/:id/search', {
    schema: {
      tags: ['pages'],
      summary:
        'What the AI would find: a search of the live alias as a customer-facing or agent-facing query',
      params: s.sourceParams,
      querystring: s.searchQuery,
      response: { 200: s.searchAnswer, ...errors },
    },
    handler: async (req) => {
      admin.find(req.params.id);
      return search(d.es, cfg.indexer.services.indexPrefix, { source: req.params.id, ...req.query });
    },
  });

  api.get('/api/sources/:id/pages/:pageId/trace', {
    schema: {
      tags: ['pages'],
      summary: 'Why is a page missing? Follows it through the topics, the run and the alias',
      params: s.sourceParams.extend({
        pageId: z.string().regex(/^\d{1,20}$/, { message: 'must be a page id' }),
      }),
      querystring: z.object({
        run: z
          .string()
          .regex(/^[0-9A-Z]{26}$/)
          .optional(),
      }),
      response: { 200: s.traceAnswer, ...errors },
    },
    handler: async (req) => {
      const { id, pageId } = req.params;
      admin.find(id);
      const trace = await tracePage(cfg.indexer.services, d.kafka, d.codecs, d.es, {
        pageId,
        sourceId: id,
        ...(req.query.run ? { runId: req.query.run } : {}),
      });
      return { pageId, runId: trace.run.runId, steps: trace.steps };
    },
  });
}
