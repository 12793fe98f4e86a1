// The HTTP edge: the deployment's layout and auth, rate limit, latency and faults around the pure
// route handlers. Cloud serves v2 and v1 under /wiki and its cloud id at /_edge/tenant_info; Data
// Center serves v1 only, under its context path. Page views answer the webui links, so a page URL
// can be shown to open.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin, type SimAdmin, type Settings } from './admin.ts';
import type { ApiResponse } from './api.ts';
import { answerJson, type AnswerContent } from './answer.ts';
import { encodeAnswer } from './compression.ts';
import { responseCostMs } from './cost.ts';
import { authenticate, type Deployment } from './auth.ts';
import type { FaultKind } from './faults.ts';
import { takeToken, rateLimitHeaders, type Bucket } from './ratelimit.ts';
import { unit } from './rng.ts';
import { handleV1Search } from './v1-search.ts';
import { CLOUD_V1, handleV1, pageOfWebui, v1Error, v1ListingSpaceIds, type V1Layout } from './v1.ts';
import { handleV2, v2Error, v2ListingSpaceIds } from './v2.ts';

const ADMIN_PREFIX = '/__sim/';
/** What an `absurd-retry-after` fault asks the client to wait: a year. */
const ABSURD_RETRY_AFTER_S = 31_536_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : JSON.parse(text);
}

/** What a fault does to a 200's body on its way out. */
type BodyFault = 'reset' | 'truncate' | 'corrupt';

/**
 * Writes a JSON response's bytes; `reset` cuts the connection mid-body, `truncate` sends half a body
 * cleanly, `corrupt` overwrites 16 bytes in its middle with zeros (a broken proxy: gzip's check then fails
 * to match, and JSON does not allow raw NULs). Returns the bytes written.
 */
function write(
  res: ServerResponse,
  r: ApiResponse,
  full: Buffer,
  headers: Record<string, string> = {},
  fault?: BodyFault,
): number {
  if (res.destroyed) return 0;
  const middle = full.length >> 1;
  const body =
    fault === 'truncate'
      ? full.subarray(0, middle)
      : fault === 'corrupt'
        ? Buffer.from(full).fill(0, middle, middle + 16)
        : full;
  res.writeHead(r.status, {
    ...r.headers,
    ...headers,
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': String(body.length),
  });
  if (fault === 'reset') {
    res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    return body.length >> 1;
  }
  res.end(body);
  return body.length;
}

/** A plain JSON answer (the simulator's own admin API, and errors too small to compress anyway). */
function send(res: ServerResponse, r: ApiResponse): void {
  write(res, r, Buffer.from(JSON.stringify(r.body)));
}

/**
 * A route's answer: its JSON (answer.ts) delayed by what it carries (the cost model: before the first
 * byte, as a real server's work would be), then compressed when the request accepts it
 * (compression.ts). Returns what it carried and its bytes on the wire and as JSON.
 */
async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  r: ApiResponse,
  settings: Settings,
  fault?: BodyFault,
): Promise<{ content: AnswerContent; bytes: { wire: number; json: number } }> {
  const { json, content } = answerJson(r.body);
  const cost = responseCostMs(settings, content);
  if (cost > 0) await sleep(cost);
  const { bytes, headers } = settings.gzip
    ? await encodeAnswer(json, req.headers['accept-encoding'])
    : { bytes: json, headers: {} };
  return { content, bytes: { wire: write(res, r, bytes, headers, fault), json: json.length } };
}

/** How the site is laid out: which deployment, its context path (Data Center), its cloud id (Cloud). */
export interface SiteLayout {
  deployment: Deployment;
  /** Data Center only: '' or e.g. '/confluence'. */
  contextPath: string;
  cloudId: string;
}

function sendHtml(res: ServerResponse, status: number, title: string): void {
  const body = `<!DOCTYPE html><html><head><title>${title.replace(/[<&]/g, '')}</title></head><body></body></html>`;
  res.writeHead(status, {
    'Content-Type': 'text/html;charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export interface SiteHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** A request the gateway forwards (path without /ex/confluence/<cloudId>): scoped tokens are welcome here. */
  viaGateway(req: IncomingMessage, res: ServerResponse, url: URL): void;
}

export function createHandler(admin: SimAdmin, siteUrl: () => string, site: SiteLayout): SiteHandler {
  const buckets = new Map<string, Bucket>();
  const { state, faults, settings } = admin;
  const dataCenter = site.deployment === 'data-center';
  const layout: V1Layout = dataCenter ? { context: site.contextPath, dataCenter } : CLOUD_V1;
  const isApi = (path: string) => path.startsWith(`${site.contextPath}/rest/`);

  async function api(req: IncomingMessage, res: ServerResponse, url: URL, viaGateway = false): Promise<void> {
    if (!dataCenter && url.pathname === '/_edge/tenant_info')
      return send(res, { status: 200, body: { cloudId: site.cloudId } });
    const view = pageOfWebui(state, layout, url.pathname, url.searchParams);
    // The page a webui link opens (a person's browser: no API auth).
    if (view !== null)
      return sendHtml(res, view?.status === 'current' ? 200 : 404, view?.title ?? 'Page Not Found');
    // Data Center's servlet container answers paths outside the REST API with an HTML 404.
    if (dataCenter && !isApi(url.pathname)) return sendHtml(res, 404, 'Page Not Found');
    admin.requests++;
    const delay = settings.latencyMs + settings.jitterMs * unit(state.seed, 'jitter', admin.requests);
    if (delay > 0) await sleep(delay);
    const v1 = dataCenter || url.pathname.startsWith('/wiki/rest/');
    const error = v1 ? v1Error : v2Error;

    const caller = authenticate(state, site.deployment, req.headers, settings, viaGateway);
    if ('status' in caller) return send(res, error(caller.status, caller.message));
    const user = caller.user;
    if (user.access === 'none') {
      return send(res, error(403, `Current user (${user.email}) not permitted to use Confluence`));
    }

    let limitHeaders: Record<string, string> = {};
    if (settings.rateLimit > 0) {
      const d = takeToken(buckets.get(user.email), settings.rateLimit, Date.now());
      buckets.set(user.email, d.bucket);
      limitHeaders = rateLimitHeaders(d);
      if (!d.allowed) return send(res, error(429, 'Rate limit exceeded', limitHeaders));
    }

    const method = req.method ?? 'GET';
    const fault: FaultKind | undefined = faults.decide({
      method,
      path: url.pathname,
      url: url.pathname + url.search,
      listingSpaceIds: [
        ...v2ListingSpaceIds(url.pathname, url.searchParams),
        ...v1ListingSpaceIds(state, layout, url.pathname, url.searchParams),
      ],
    });
    switch (fault) {
      case '500':
      case '502':
        return send(res, error(Number(fault), fault === '500' ? 'Internal Server Error' : 'Bad Gateway'));
      case '503':
        return send(res, error(503, 'Service Unavailable', { 'Retry-After': '1' }));
      case '429':
        return send(res, error(429, 'Rate limit exceeded', { 'Retry-After': '1' }));
      case 'absurd-retry-after':
        return send(res, error(429, 'Rate limit exceeded', { 'Retry-After': String(ABSURD_RETRY_AFTER_S) }));
      case 'slow':
        await sleep(settings.slowMs);
        break;
    }

    const apiReq = { method, path: url.pathname, query: url.searchParams, user, siteUrl: siteUrl() };
    const r = dataCenter
      ? (handleV1Search(state, apiReq, layout) ??
        handleV1(state, apiReq, layout) ??
        v1Error(404, `No route for ${url.pathname}`))
      : (handleV2(state, apiReq) ??
        handleV1Search(state, apiReq) ??
        handleV1(state, apiReq) ??
        v2Error(404, `No route for ${url.pathname}`));
    r.headers = { ...limitHeaders, ...r.headers };
    const bodyFault = fault === 'reset' || fault === 'truncate' || fault === 'corrupt' ? fault : undefined;
    const { content, bytes } = await answer(req, res, r, settings, bodyFault);
    admin.traffic.count(url.pathname, r.status, content, bytes);
  }

  function fail(res: ServerResponse, work: Promise<void>): void {
    work.catch((err: unknown) => {
      const message = err instanceof SyntaxError ? `Bad JSON: ${err.message}` : 'Internal simulator error';
      if (!(err instanceof SyntaxError)) console.error('sim: request failed', err);
      if (!res.headersSent)
        send(res, { status: err instanceof SyntaxError ? 400 : 500, body: { error: message } });
      else res.destroy();
    });
  }

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://sim');
    fail(
      res,
      url.pathname.startsWith(ADMIN_PREFIX)
        ? readJson(req).then((body) =>
            send(res, handleAdmin(admin, req.method ?? 'GET', url.pathname, url.searchParams, body)),
          )
        : api(req, res, url),
    );
  };
  return Object.assign(handler, {
    viaGateway: (req: IncomingMessage, res: ServerResponse, url: URL) => fail(res, api(req, res, url, true)),
  });
}
