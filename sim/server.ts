// The HTTP edge: auth, rate limit, latency and faults around the pure route handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdmin, type SimAdmin } from './admin.ts';
import type { ApiResponse } from './api.ts';
import { responseCostMs } from './cost.ts';
import type { FaultKind } from './faults.ts';
import { takeToken, rateLimitHeaders, type Bucket } from './ratelimit.ts';
import { unit } from './rng.ts';
import { handleV1, v1Error, v1ListingSpaceIds } from './v1.ts';
import { handleV2, v2Error, v2ListingSpaceIds } from './v2.ts';

const ADMIN_PREFIX = '/__sim/';
/** What an `absurd-retry-after` fault asks the client to wait: a year. */
const ABSURD_RETRY_AFTER_S = 31_536_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function parseBasic(header: string | undefined): { email: string; token: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { email: decoded.slice(0, colon), token: decoded.slice(colon + 1) };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.trim() === '' ? undefined : JSON.parse(text);
}

/** Writes a JSON response; `reset` cuts the connection mid-body, `truncate` sends half a body cleanly. */
function send(res: ServerResponse, r: ApiResponse, fault?: 'reset' | 'truncate'): void {
  if (res.destroyed) return;
  const full = Buffer.from(JSON.stringify(r.body));
  const body = fault === 'truncate' ? full.subarray(0, full.length >> 1) : full;
  res.writeHead(r.status, {
    ...r.headers,
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': String(body.length),
  });
  if (fault === 'reset') {
    res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    return;
  }
  res.end(body);
}

export function createHandler(admin: SimAdmin, siteUrl: () => string) {
  const buckets = new Map<string, Bucket>();
  const { state, faults, settings } = admin;

  async function api(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    admin.requests++;
    const delay = settings.latencyMs + settings.jitterMs * unit(state.seed, 'jitter', admin.requests);
    if (delay > 0) await sleep(delay);
    const v1 = url.pathname.startsWith('/wiki/rest/');
    const error = v1 ? v1Error : v2Error;

    const creds = parseBasic(req.headers.authorization);
    const user = creds && state.authenticate(creds.email, creds.token);
    if (!user) return send(res, error(401, 'Unauthorized: missing or invalid email and API token'));
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
        ...v1ListingSpaceIds(state, url.pathname, url.searchParams),
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
    const r =
      handleV2(state, apiReq) ?? handleV1(state, apiReq) ?? v2Error(404, `No route for ${url.pathname}`);
    r.headers = { ...limitHeaders, ...r.headers };
    // The server's work grows with what the answer carries: charged before the first byte, as a real one would.
    const cost = responseCostMs(settings, r.body);
    if (cost > 0) await sleep(cost);
    send(res, r, fault === 'reset' || fault === 'truncate' ? fault : undefined);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://sim');
    const work = url.pathname.startsWith(ADMIN_PREFIX)
      ? readJson(req).then((body) =>
          send(res, handleAdmin(admin, req.method ?? 'GET', url.pathname, url.searchParams, body)),
        )
      : api(req, res, url);
    work.catch((err: unknown) => {
      const message = err instanceof SyntaxError ? `Bad JSON: ${err.message}` : 'Internal simulator error';
      if (!(err instanceof SyntaxError)) console.error('sim: request failed', err);
      if (!res.headersSent)
        send(res, { status: err instanceof SyntaxError ? 400 : 500, body: { error: message } });
      else res.destroy();
    });
  };
}
