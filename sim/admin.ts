// Test and demo control: mutations between runs, users, faults and limits. The same operations are
// reachable in-process (SimAdmin methods) and over HTTP under /__sim/ (handleAdmin).
import { z } from 'zod';
import type { ApiResponse } from './api.ts';
import type { AuthSettings } from './auth.ts';
import { FAULT_KINDS, type FaultKind, type FaultRates, type FaultRule, type Faults } from './faults.ts';
import type { CostModel } from './cost.ts';
import { SPACE_TYPES, type Page, type Space } from './model.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { SimState } from './state.ts';
import type { User } from './users.ts';
import { Traffic } from './traffic.ts';

export interface Settings extends CostModel, AuthSettings {
  /** Requests per second per credential; 0 = unlimited. */
  rateLimit: number;
  latencyMs: number;
  jitterMs: number;
  /** How long a `slow` fault stalls a response. */
  slowMs: number;
  /** Whether JSON answers are gzip-compressed for clients that accept it (Data Center's can be turned off). */
  gzip: boolean;
}

export interface PageInfo {
  id: string;
  spaceId: string;
  spaceKey: string;
  parentId: string | null;
  title: string;
  status: Page['status'];
  version: number;
  restricted: boolean;
  labels: string[];
}

export interface SpaceInfo {
  id: string;
  key: string;
  name: string;
  type: Space['type'];
  status: Space['status'];
  homepageId: string | null;
}

export interface FaultInput {
  kind: FaultKind;
  path?: string;
  /** Space id or key whose page listings fail. */
  space?: string | number;
  /** Fail this many matching requests, then stop; omit to fail until removed. */
  count?: number;
}

type Id = string | number;
const num = (id: Id): number => Number(id);

const pageStatus = z.enum(['current', 'archived', 'draft', 'trashed']);
const id = z.union([z.string().regex(/^\d+$/), z.number().int()]);
const idOrKey = z.union([z.string(), z.number().int()]);
const schemas = {
  addPage: z.object({
    space: idOrKey,
    title: z.string().min(1).optional(),
    parentId: id.optional(),
    body: z.string().optional(),
    status: pageStatus.optional(),
    restricted: z.boolean().optional(),
  }),
  editPage: z.object({
    title: z.string().min(1).optional(),
    body: z.string().optional(),
    status: pageStatus.optional(),
  }),
  movePage: z.object({ parentId: id.optional(), space: idOrKey.optional() }),
  restrict: z.object({ restricted: z.boolean() }),
  labels: z.object({ labels: z.array(z.string().regex(/^[^\s,]+$/, 'a label has no spaces or commas')) }),
  updateSpace: z.object({
    type: z.enum(SPACE_TYPES).optional(),
    status: z.enum(['current', 'archived']).optional(),
    name: z.string().min(1).optional(),
  }),
  user: z.object({
    token: z.string().min(1).optional(),
    access: z.enum(['full', 'limited', 'none']).optional(),
    hiddenSpaceKeys: z.array(z.string()).optional(),
    username: z.string().min(1).optional(),
    scopes: z.array(z.string()).optional(),
  }),
  fault: z.object({
    kind: z.enum(FAULT_KINDS),
    path: z.string().optional(),
    space: idOrKey.optional(),
    count: z.number().int().positive().optional(),
  }),
  rates: z.partialRecord(z.enum(FAULT_KINDS), z.number().min(0).max(1)),
  settings: z.object({
    rateLimit: z.number().min(0).optional(),
    latencyMs: z.number().min(0).optional(),
    jitterMs: z.number().min(0).optional(),
    slowMs: z.number().min(0).optional(),
    gzip: z.boolean().optional(),
    costBaseMs: z.number().min(0).optional(),
    costPerResultMs: z.number().min(0).optional(),
    costPerBodyKbMs: z.number().min(0).optional(),
    badCredentials: z.enum(['401', '403', 'anonymous']).optional(),
    anonymousSpaces: z.array(z.string()).optional(),
  }),
};

export class SimAdmin {
  readonly state: SimState;
  readonly faults: Faults;
  readonly settings: Settings;
  /** API requests seen (admin calls excluded). */
  requests = 0;
  /** What the API answered (admin calls excluded): requests, results, bodies, bytes. */
  readonly traffic = new Traffic();

  constructor(state: SimState, faults: Faults, settings: Settings) {
    this.state = state;
    this.faults = faults;
    this.settings = settings;
  }

  private pageInfo(p: Page): PageInfo {
    return {
      id: String(p.id),
      spaceId: String(p.spaceId),
      spaceKey: this.state.spaceOf(p).key,
      parentId: p.parentId ? String(p.parentId) : null,
      title: p.title,
      status: p.status,
      version: p.version,
      restricted: p.restricted,
      labels: p.labels ?? [],
    };
  }

  private spaceInfo(s: Space): SpaceInfo {
    return {
      id: String(s.id),
      key: s.key,
      name: s.name,
      type: s.type,
      status: s.status,
      homepageId: s.homepageId ? String(s.homepageId) : null,
    };
  }

  info(): {
    pages: number;
    spaces: SpaceInfo[];
    users: User[];
    faults: { rates: FaultRates; rules: FaultRule[] };
    settings: Settings;
    requests: number;
  } {
    return {
      pages: this.state.currentPageCount(),
      spaces: this.state.allSpaces().map((s) => this.spaceInfo(s)),
      users: [...this.state.users.values()],
      faults: { rates: this.faults.rates, rules: this.faults.rules },
      settings: this.settings,
      requests: this.requests,
    };
  }

  page(pageId: Id): PageInfo {
    const p = this.state.page(num(pageId));
    if (!p) throw new NotFoundError(`No page ${pageId}`);
    return this.pageInfo(p);
  }

  addPage(input: {
    space: Id;
    title?: string;
    parentId?: Id;
    body?: string;
    status?: Page['status'];
    restricted?: boolean;
  }): PageInfo {
    const { parentId, ...rest } = input;
    return this.pageInfo(
      this.state.addPage({ ...rest, ...(parentId !== undefined ? { parentId: num(parentId) } : {}) }),
    );
  }

  editPage(pageId: Id, input: { title?: string; body?: string; status?: Page['status'] } = {}): PageInfo {
    return this.pageInfo(this.state.editPage(num(pageId), input));
  }

  deletePage(pageId: Id, opts: { purge?: boolean } = {}): void {
    this.state.deletePage(num(pageId), opts.purge ?? false);
  }

  movePage(pageId: Id, input: { parentId?: Id; space?: Id }): PageInfo {
    return this.pageInfo(
      this.state.movePage(num(pageId), {
        ...(input.parentId !== undefined ? { parentId: num(input.parentId) } : {}),
        ...(input.space !== undefined ? { space: input.space } : {}),
      }),
    );
  }

  restrictPage(pageId: Id, restricted: boolean): PageInfo {
    return this.pageInfo(this.state.setRestricted(num(pageId), restricted));
  }

  labelPage(pageId: Id, labels: string[]): PageInfo {
    return this.pageInfo(this.state.setLabels(num(pageId), labels));
  }

  deleteSpace(space: Id): void {
    this.state.deleteSpace(space);
  }

  updateSpace(
    space: Id,
    input: { type?: Space['type']; status?: Space['status']; name?: string },
  ): SpaceInfo {
    return this.spaceInfo(this.state.updateSpace(space, input));
  }

  setUser(
    email: string,
    input: Partial<Pick<User, 'token' | 'access' | 'hiddenSpaceKeys' | 'username' | 'scopes'>>,
  ): User {
    return this.state.users.set(email, input);
  }

  deleteUser(email: string): void {
    this.state.users.delete(email);
  }

  addFault(input: FaultInput): FaultRule {
    let spaceId: number | undefined;
    if (input.space !== undefined) {
      const space = this.state.space(input.space);
      if (!space) throw new NotFoundError(`No space ${input.space}`);
      spaceId = space.id;
    }
    return this.faults.addRule({
      kind: input.kind,
      ...(input.path !== undefined ? { path: input.path } : {}),
      ...(spaceId !== undefined ? { spaceId } : {}),
      ...(input.count !== undefined ? { remaining: input.count } : {}),
    });
  }

  removeFault(ruleId: number): void {
    if (!this.faults.removeRule(ruleId)) throw new NotFoundError(`No fault rule ${ruleId}`);
  }

  /** Removes every rule and sets all random fault rates to zero. */
  clearFaults(): void {
    this.faults.clear();
  }

  setFaultRates(rates: FaultRates): void {
    this.faults.rates = { ...rates };
  }

  configure(input: Partial<Settings>): Settings {
    Object.assign(this.settings, input);
    return this.settings;
  }
}

function ok(body: unknown = { ok: true }, status = 200): ApiResponse {
  return { status, body };
}

function fail(status: number, message: string): ApiResponse {
  return { status, body: { error: message } };
}

/**
 * Routes `/__sim/...` requests:
 *   GET    /__sim/state
 *   GET    /__sim/pages/:id            POST /__sim/pages
 *   PUT    /__sim/pages/:id            DELETE /__sim/pages/:id[?purge=true]
 *   POST   /__sim/pages/:id/move       PUT /__sim/pages/:id/restriction
 *   PUT    /__sim/spaces/:idOrKey      DELETE /__sim/spaces/:idOrKey
 *   PUT    /__sim/users/:email         DELETE /__sim/users/:email
 *   GET    /__sim/faults  POST /__sim/faults  DELETE /__sim/faults  DELETE /__sim/faults/:id
 *   PUT    /__sim/faults/rates         PUT /__sim/settings
 */
export function handleAdmin(
  admin: SimAdmin,
  method: string,
  path: string,
  query: URLSearchParams,
  body: unknown,
): ApiResponse {
  const parts = path.split('/').slice(2).map(decodeURIComponent); // ['', '__sim', ...]
  const [resource, key, sub] = parts;
  const route = `${method} ${resource ?? ''}${key !== undefined ? '/:key' : ''}${sub !== undefined ? `/${sub}` : ''}`;
  try {
    switch (route) {
      case 'GET state':
        return ok(admin.info());
      case 'GET traffic':
        return ok(admin.traffic.snapshot());
      case 'DELETE traffic':
        admin.traffic.reset();
        return ok();
      case 'GET pages/:key':
        return ok(admin.page(key!));
      case 'POST pages':
        return ok(admin.addPage(schemas.addPage.parse(body)), 201);
      case 'PUT pages/:key':
        return ok(admin.editPage(key!, schemas.editPage.parse(body ?? {})));
      case 'DELETE pages/:key':
        admin.deletePage(key!, { purge: query.get('purge') === 'true' });
        return ok();
      case 'POST pages/:key/move':
        return ok(admin.movePage(key!, schemas.movePage.parse(body)));
      case 'PUT pages/:key/restriction':
        return ok(admin.restrictPage(key!, schemas.restrict.parse(body).restricted));
      case 'PUT pages/:key/labels':
        return ok(admin.labelPage(key!, schemas.labels.parse(body).labels));
      case 'PUT spaces/:key':
        return ok(admin.updateSpace(key!, schemas.updateSpace.parse(body)));
      case 'DELETE spaces/:key':
        admin.deleteSpace(key!);
        return ok();
      case 'PUT users/:key':
        return ok(admin.setUser(key!, schemas.user.parse(body)));
      case 'DELETE users/:key':
        admin.deleteUser(key!);
        return ok();
      case 'GET faults':
        return ok({ rates: admin.faults.rates, rules: admin.faults.rules });
      case 'POST faults':
        return ok(admin.addFault(schemas.fault.parse(body)), 201);
      case 'DELETE faults':
        admin.clearFaults();
        return ok();
      case 'PUT faults/:key':
        if (key !== 'rates') break;
        admin.setFaultRates(schemas.rates.parse(body));
        return ok(admin.faults.rates);
      case 'DELETE faults/:key':
        admin.removeFault(Number(key));
        return ok();
      case 'PUT settings':
        return ok(admin.configure(schemas.settings.parse(body)));
    }
  } catch (err) {
    if (err instanceof NotFoundError) return fail(404, err.message);
    if (err instanceof ConflictError) return fail(409, err.message);
    if (err instanceof z.ZodError) return fail(400, z.prettifyError(err));
    throw err;
  }
  return fail(404, `No admin route ${method} ${path}`);
}
