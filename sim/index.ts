// The simulator's public surface: start it in-process, or generate content without a server.
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { SimAdmin, type Settings } from './admin.ts';
import { NO_COST, REALISTIC_COST, type CostModel } from './cost.ts';
import type { BadCredentials, Deployment } from './auth.ts';
import { Faults, parseFaultSpec, type FaultRates } from './faults.ts';
import { generateSite } from './model.ts';
import { createHandler, type SiteHandler } from './server.ts';
import { SimState } from './state.ts';
import type { User } from './users.ts';
import { selfSignedCert } from './tls.ts';

export { SimAdmin, type FaultInput, type PageInfo, type Settings, type SpaceInfo } from './admin.ts';
export { Traffic, type Served } from './traffic.ts';
export { churn, type ChurnOptions, type Churned } from './churn.ts';
export { NO_COST, REALISTIC_COST, responseCostMs, type CostModel } from './cost.ts';
export type { BadCredentials, Deployment } from './auth.ts';
export { startGateway, type GatewayHandle } from './gateway.ts';
export { bodySize, generateBody, isHostile } from './content.ts';
export { FAULT_KINDS, parseFaultSpec, type FaultKind, type FaultRates, type FaultRule } from './faults.ts';
export { generateSite, pageWebui, type Page, type Site, type Space } from './model.ts';
export { SimState } from './state.ts';
export type { Access, User } from './users.ts';

export interface SimOptions {
  port?: number;
  host?: string;
  seed?: number;
  spaces?: number;
  /** Current pages to generate (archived, draft and trashed pages come on top). */
  pages?: number;
  latencyMs?: number;
  jitterMs?: number;
  /** Requests per second per credential; 0 = unlimited. */
  rateLimit?: number;
  /** Random fault rates, as an object or a `500=0.01,reset=0.002` spec. */
  faults?: FaultRates | string;
  slowMs?: number;
  /** Gzip-compress JSON answers for clients that accept it (default: true, as Confluence does). */
  gzip?: boolean;
  /**
   * What a response costs to serve beyond `latencyMs` (sim/cost.ts): 'realistic' for the documented
   * defaults, or the parts, each overriding the preset. Default: none.
   */
  cost?: 'realistic' | 'none' | Partial<CostModel>;
  tls?: boolean;
  /** Replaces the default users (see DEFAULT_USERS). The first one is the handle's email/token. */
  users?: User[];
  /** `cloud` (default: v2 + v1 under /wiki) or `data-center` (v1 only, under `contextPath`, Bearer PATs). */
  deployment?: Deployment;
  /** Data Center's context path, e.g. `/confluence` (default: none, the site root). */
  contextPath?: string;
  /** What wrong credentials get: 401 (default), 403, or served as the anonymous user. */
  badCredentials?: BadCredentials;
  /** Space keys anonymous visitors may read; default: the first current global space. */
  anonymousSpaces?: string[];
  /** The site's cloud id (default: a new UUID, like every Cloud site's own). */
  cloudId?: string;
}

export const DEFAULT_USERS: readonly User[] = [
  {
    email: 'sim@example.com',
    token: 'sim-api-token',
    accountId: '712020:sim-full',
    access: 'full',
    hiddenSpaceKeys: [],
  },
  {
    email: 'limited@example.com',
    token: 'limited-api-token',
    accountId: '712020:sim-limited',
    access: 'limited',
    hiddenSpaceKeys: [],
  },
  {
    email: 'noaccess@example.com',
    token: 'noaccess-api-token',
    accountId: '712020:sim-noaccess',
    access: 'none',
    hiddenSpaceKeys: [],
  },
];

export interface SimHandle {
  /**
   * The site as people open it: Cloud `https://acme.atlassian.net` (API under `/wiki`), Data Center
   * with its context path, `https://wiki.corp.example/confluence` (API under `/rest/api`).
   */
  baseUrl: string;
  deployment: Deployment;
  /** What `/_edge/tenant_info` answers (Cloud), the id the gateway routes by. */
  cloudId: string;
  /** The site's request handler, for the gateway (sim/gateway.ts) to forward to. */
  handler: SiteHandler;
  email: string;
  token: string;
  /** Current pages served when the simulator started (admin.info().pages for the live count). */
  pages: number;
  /** PEM of the self-signed certificate when `tls` is on, for clients to trust. */
  ca?: string;
  admin: SimAdmin;
  close(): Promise<void>;
}

function costModel(cost: SimOptions['cost']): CostModel {
  if (cost === 'realistic') return { ...REALISTIC_COST };
  if (cost === undefined || cost === 'none') return { ...NO_COST };
  return { ...NO_COST, ...cost };
}

export async function startSim(options: SimOptions = {}): Promise<SimHandle> {
  const seed = options.seed ?? 1;
  const site = generateSite({ seed, spaces: options.spaces ?? 6, pages: options.pages ?? 300 });
  const users = (options.users ?? DEFAULT_USERS).map((u) => ({
    ...u,
    hiddenSpaceKeys: [...u.hiddenSpaceKeys],
  }));
  const state = new SimState(site, users);
  const faultRates =
    typeof options.faults === 'string' ? parseFaultSpec(options.faults) : (options.faults ?? {});
  const firstGlobal = site.spaces.find((s) => s.type === 'global' && s.status === 'current');
  const settings: Settings = {
    badCredentials: options.badCredentials ?? '401',
    anonymousSpaces: options.anonymousSpaces ?? (firstGlobal ? [firstGlobal.key] : []),
    rateLimit: options.rateLimit ?? 0,
    latencyMs: options.latencyMs ?? 0,
    jitterMs: options.jitterMs ?? 0,
    slowMs: options.slowMs ?? 3000,
    gzip: options.gzip ?? true,
    ...costModel(options.cost),
  };
  const admin = new SimAdmin(state, new Faults(seed, faultRates), settings);
  const deployment = options.deployment ?? 'cloud';
  const contextPath = deployment === 'data-center' ? (options.contextPath ?? '').replace(/\/+$/, '') : '';
  const cloudId = options.cloudId ?? randomUUID();
  let siteRoot = '';
  const handler = createHandler(admin, () => siteRoot, { deployment, contextPath, cloudId });
  const cert = options.tls ? selfSignedCert() : undefined;
  const server: Server = cert ? createHttpsServer(cert, handler) : createHttpServer(handler);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  siteRoot = `${cert ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const first = users[0];
  return {
    baseUrl: siteRoot + contextPath,
    deployment,
    cloudId,
    handler,
    email: first?.email ?? '',
    token: first?.token ?? '',
    pages: state.currentPageCount(),
    ...(cert ? { ca: cert.cert } : {}),
    admin,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

export interface GeneratedBody {
  spaceKey: string;
  pageId: string;
  title: string;
  /** The `/wiki` base a converter resolves links against. */
  baseUrl: string;
  body: string;
}

/**
 * N storage bodies of a generated site, for converter benchmarks: the same pages, links and sizes
 * the simulator serves for this seed (current pages in id order).
 */
export function* generateBodies(
  n: number,
  opts: { seed?: number; spaces?: number; baseUrl?: string } = {},
): Generator<GeneratedBody> {
  const seed = opts.seed ?? 1;
  const state = new SimState(generateSite({ seed, spaces: opts.spaces ?? 6, pages: n }), []);
  const baseUrl = opts.baseUrl ?? 'https://sim.atlassian.net/wiki';
  for (const page of state.filterPages({ ...DEFAULT_USERS[0]!, access: 'full' }, { statuses: ['current'] })) {
    yield {
      spaceKey: state.spaceOf(page).key,
      pageId: String(page.id),
      title: page.title,
      baseUrl,
      body: state.body(page),
    };
  }
}
