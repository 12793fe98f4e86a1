// What an admin does to sources: connect one (checked first, as `producer check` does), change it
// (new credentials checked first), pause and resume, ask for a run now, delete it. Each writes the
// source's record to the sources topic; the schedulers of all instances follow from there.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { registerSecret } from '../lib/secrets.ts';
import { deleteSourceIndices } from '../indexer/alias.ts';
import { aliasName } from '../indexer/index-names.ts';
import type { CheckResult } from '../producer/check.ts';
import type { ProducerTuning } from '../producer/config.ts';
import { listSpaces } from '../producer/spaces.ts';
import type { Space } from '../schemas/index.ts';
import { checkSite, recordConfig } from './pull.ts';
import {
  idOf,
  RECORD_VERSION,
  scheduleOf,
  scopeOf,
  siteUrlOf,
  type Deployment,
  type SourceChange,
  type SourceInput,
  type SourceRecord,
} from './record.ts';
import type { SecretKey } from './secret-box.ts';
import type { SourceStatus } from './status.ts';
import type { TopicView } from './topic-view.ts';

/** A request the API refuses, with the HTTP status that says why. */
export class SourceRequestError extends UserError {
  readonly status: 404 | 409 | 422;
  constructor(status: 404 | 409 | 422, message: string, hint?: string) {
    super(message, hint ? { hint } : {});
    this.name = 'SourceRequestError';
    this.status = status;
  }
}

const accessOf = (deployment: Deployment) => ({ deployment: deployment.kind, cloudId: deployment.cloudId });

export interface AdminDeps {
  sources: TopicView<SourceRecord>;
  status: TopicView<SourceStatus>;
  key: SecretKey;
  tuning: ProducerTuning;
  es: Elasticsearch;
  /** Tombstones a source's pages in the latest-pages topic; returns how many (lib/latest-pages.ts). */
  forgetPages: (sourceId: string) => Promise<number>;
  defaultEveryMs: number;
  log: Logger;
  now?: () => number;
}

export interface Removed {
  sourceId: string;
  alias: string;
  indices: string[];
  /** Pages tombstoned in the latest-pages topic. */
  latestPages: number;
  record: boolean;
  token: boolean;
}

export function createAdmin(d: AdminDeps) {
  const now = d.now ?? Date.now;
  const find = (id: string): SourceRecord => {
    const r = d.sources.get(id);
    if (!r) throw new SourceRequestError(404, `No source ${id}`, 'List the sources with GET /api/sources.');
    return r;
  };
  /** The check failed: the API answers 422 with the check's own message and hint. */
  const check = async (access: Parameters<typeof checkSite>[1]): Promise<CheckResult> => {
    try {
      return await checkSite(d.tuning, access, d.log);
    } catch (err) {
      if (err instanceof UserError) throw new SourceRequestError(422, err.message, err.hint);
      throw err;
    }
  };

  return {
    find,

    async create(input: SourceInput): Promise<{ record: SourceRecord; check: CheckResult }> {
      registerSecret(input.token);
      const id = idOf(input);
      if (d.sources.get(id))
        throw new SourceRequestError(
          409,
          `Source ${id} exists already`,
          'Change it with PATCH /api/sources/' + id + ', or give another id.',
        );
      const deployment = input.deployment ?? { kind: 'cloud' as const };
      const siteUrl = siteUrlOf(input, deployment);
      const result = await check({
        ...accessOf(deployment),
        sourceId: id,
        siteUrl,
        email: input.email,
        token: input.token,
      });
      const at = now();
      const record: SourceRecord = {
        v: RECORD_VERSION,
        id,
        domain: input.domain ?? null,
        baseUrl: input.baseUrl ?? null,
        siteUrl,
        email: input.email,
        token: d.key.seal(input.token, id),
        schedule: scheduleOf(input.schedule, { everyMs: d.defaultEveryMs, paused: false }),
        scope: scopeOf(input.scope),
        deployment,
        createdAt: at,
        updatedAt: at,
        runRequestedAt: null,
      };
      await d.sources.put(id, record);
      d.log.info({ sourceId: id, site: siteUrl }, 'source connected');
      return { record, check: result };
    },

    async change(id: string, change: SourceChange): Promise<SourceRecord> {
      if (change.token) registerSecret(change.token);
      const old = find(id);
      const site =
        change.domain !== undefined
          ? { domain: change.domain, baseUrl: null }
          : change.baseUrl !== undefined
            ? { domain: null, baseUrl: change.baseUrl }
            : { domain: old.domain, baseUrl: old.baseUrl };
      const deployment = change.deployment ?? old.deployment;
      const siteUrl = siteUrlOf(site, deployment);
      const email = change.email ?? old.email;
      const access =
        siteUrl !== old.siteUrl ||
        email !== old.email ||
        change.token !== undefined ||
        JSON.stringify(deployment) !== JSON.stringify(old.deployment);
      if (access) {
        const token = change.token ?? d.key.open(old.token, id);
        await check({ ...accessOf(deployment), sourceId: id, siteUrl, email, token });
      }
      const record: SourceRecord = {
        ...old,
        ...site,
        siteUrl,
        email,
        token: change.token ? d.key.seal(change.token, id) : old.token,
        schedule: scheduleOf(change.schedule, old.schedule),
        scope: scopeOf(change.scope, old.scope),
        deployment,
        updatedAt: now(),
      };
      await d.sources.put(id, record);
      d.log.info({ sourceId: id, credentials: access }, 'source changed');
      return record;
    },

    async setPaused(id: string, paused: boolean): Promise<SourceRecord> {
      const old = find(id);
      const record = { ...old, schedule: { ...old.schedule, paused }, updatedAt: now() };
      await d.sources.put(id, record);
      return record;
    },

    /** The site's spaces, listed with the source's stored credentials. */
    async spaces(id: string): Promise<Space[]> {
      try {
        return await listSpaces(recordConfig(d.tuning, d.key, find(id)), d.log.child({ sourceId: id }));
      } catch (err) {
        if (err instanceof UserError) throw new SourceRequestError(422, err.message, err.hint);
        throw err;
      }
    },

    /**
     * Asks the source's owner (whichever instance) for a pull now, a full one with `full`; one already
     * running is not doubled.
     */
    async runNow(
      id: string,
      opts: { full?: boolean } = {},
    ): Promise<{ record: SourceRecord; running: boolean }> {
      const old = find(id);
      const running = d.status.get(id)?.running != null;
      if (running) return { record: old, running };
      const record = { ...old, runRequestedAt: now(), fullRequested: opts.full ?? false };
      await d.sources.put(id, record);
      return { record, running };
    },

    /**
     * Stops the schedule (tombstone: the owner aborts a running pull), waits for that pull to end, then
     * deletes the source's indices (and with them its alias), its pages in the latest-pages topic and its
     * status. The token went with the record.
     */
    async remove(id: string, opts: { waitMs?: number } = {}): Promise<Removed> {
      find(id);
      await d.sources.put(id, null);
      const until = now() + (opts.waitMs ?? 15_000);
      while (d.status.get(id)?.running && now() < until) await new Promise((r) => setTimeout(r, 200));
      const prefix = d.tuning.services.indexPrefix;
      const indices = await deleteSourceIndices(d.es, prefix, id);
      const latestPages = await d.forgetPages(id);
      await d.status.put(id, null);
      d.log.info({ sourceId: id, indices, latestPages }, 'source deleted');
      return { sourceId: id, alias: aliasName(prefix, id), indices, latestPages, record: true, token: true };
    },
  };
}
export type Admin = ReturnType<typeof createAdmin>;
