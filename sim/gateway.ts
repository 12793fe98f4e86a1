// Atlassian's API gateway, `https://api.atlassian.com/ex/confluence/{cloudId}/…`, in front of simulated
// Cloud sites: the only way a scoped API token reaches Confluence (Atlassian, "Manage API tokens for
// your Atlassian account"). It routes by cloud id to the site, which answers as it would itself (its
// own `_links`, relative `next` links without the /ex/confluence prefix), and it checks a scoped
// token's scopes first: a request the token has no scope for gets
// `401 {"code":401,"message":"Unauthorized; scope does not match"}` with
// `X-Failure-Category: FAILURE_CLIENT_SCOPE_CHECK`, as reported in kovetskiy/mark#917 and
// Spenhouet/confluence-markdown-exporter#210. Classic tokens pass without a scope check.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseBasic } from './auth.ts';
import type { SimHandle } from './index.ts';

/**
 * The scopes that let a request through, per Atlassian's REST reference: v2 operations' `security`
 * in the OpenAPI document; v1 "Get current user" (classic `read:confluence-user`, granular
 * `read:content-details:confluence`); v1 content and spaces (classic scopes).
 */
const SCOPES: readonly { path: RegExp; anyOf: string[] }[] = [
  { path: /^\/wiki\/api\/v2\/spaces(\/\d+)?$/, anyOf: ['read:space:confluence'] },
  { path: /^\/wiki\/api\/v2\/(spaces\/\d+\/)?pages(\/\d+)?$/, anyOf: ['read:page:confluence'] },
  {
    path: /^\/wiki\/rest\/api\/user\/current$/,
    anyOf: ['read:confluence-user', 'read:content-details:confluence'],
  },
  // CQL search: classic `search:confluence`, granular `read:content-details:confluence` (v1 Search reference).
  {
    path: /^\/wiki\/rest\/api\/content\/search$/,
    anyOf: ['search:confluence', 'read:content-details:confluence'],
  },
  // Bulk user lookup: classic `read:confluence-user`, granular `read:content-details:confluence` (v1 Users reference).
  {
    path: /^\/wiki\/rest\/api\/user\/bulk$/,
    anyOf: ['read:confluence-user', 'read:content-details:confluence'],
  },
  { path: /^\/wiki\/rest\/api\/space/, anyOf: ['read:confluence-space.summary', 'read:space:confluence'] },
  { path: /^\/wiki\/rest\/api\/content/, anyOf: ['read:confluence-content.all', 'read:page:confluence'] },
];

const PREFIX = /^\/ex\/confluence\/([^/]+)(\/.*)$/;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

export interface GatewayHandle {
  /** Like `https://api.atlassian.com`: the producer's CONFLUENCE_GATEWAY_URL. */
  url: string;
  /** Requests the gateway answered itself or forwarded. */
  requests: number;
  close(): Promise<void>;
}

export async function startGateway(opts: {
  sites: SimHandle[];
  host?: string;
  port?: number;
}): Promise<GatewayHandle> {
  const byCloudId = new Map(opts.sites.map((s) => [s.cloudId, s]));
  const handle: GatewayHandle = { url: '', requests: 0, close: async () => {} };
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    handle.requests++;
    const url = new URL(req.url ?? '/', 'http://gateway');
    const m = PREFIX.exec(url.pathname);
    const site = m && byCloudId.get(decodeURIComponent(m[1]!));
    if (!m || !site) return sendJson(res, 404, { code: 404, message: 'Not Found' });
    const path = m[2]!;
    const creds = parseBasic(req.headers.authorization);
    const user = creds && site.admin.state.users.authenticate(creds.email, creds.token);
    // The gateway never serves anyone as anonymous.
    if (!user) return sendJson(res, 401, { code: 401, message: 'Unauthorized' });
    if (user.scopes) {
      const rule = SCOPES.find((r) => r.path.test(path));
      if (!rule || !rule.anyOf.some((s) => user.scopes!.includes(s))) {
        return sendJson(
          res,
          401,
          { code: 401, message: 'Unauthorized; scope does not match' },
          { 'X-Failure-Category': 'FAILURE_CLIENT_SCOPE_CHECK' },
        );
      }
    }
    site.handler.viaGateway(req, res, new URL(path + url.search, 'http://site'));
  };
  const server = createServer(route);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  handle.url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  handle.close = () =>
    new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
  return handle;
}
