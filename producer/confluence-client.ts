// HTTP to Confluence: undici keep-alive connections (bounded), through the proxy HTTPS_PROXY/NO_PROXY
// name, retries with backoff, and every failure classified so a person can be told what to do about it.
// One client talks to one API root (a site, the gateway, a Data Center context path); what differs
// between deployments is decided in site.ts.
import { setTimeout as sleep } from 'node:timers/promises';
import { EnvHttpProxyAgent } from 'undici';
import type { Logger } from '../lib/log.ts';
import type { ProxyConfig } from './config.ts';
import { ACCEPT_ENCODING, decodedBody, isInflateError, UnsupportedCodingError } from './content-coding.ts';
import { createListingSplitter, elementText } from './listing-split.ts';
import { asksToSlowDown, createPace } from './pace.ts';
import { nextLink, resolveNext } from './paging.ts';
import { parseRetryAfter, retryDelay, type RetryPolicy } from './retry.ts';

export type FailureKind =
  | 'unauthorized' // 401
  | 'scope' // 401 from Atlassian's gateway: the scoped token lacks the scope this request needs
  | 'forbidden' // 403
  | 'not-found' // 404 with a Confluence (JSON) body
  | 'not-confluence' // HTML, redirects, 404 without JSON: the host is not a Confluence Cloud site
  | 'dns' // the host name does not resolve
  | 'network' // resets, refused connections, timeouts
  | 'server' // 5xx and other unexpected statuses
  | 'rate-limited' // 429
  | 'truncated' // a 200 whose body is not complete JSON
  | 'bad-request'; // 400: our request is wrong

export class ConfluenceError extends Error {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  /** Path and query of the request (no credentials ever travel in URLs). */
  readonly path: string;
  readonly retryAfterMs: number | undefined;
  constructor(
    kind: FailureKind,
    path: string,
    message: string,
    opts: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'ConfluenceError';
    this.kind = kind;
    this.path = path;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
  }
  get retryable(): boolean {
    return ['network', 'server', 'rate-limited', 'truncated'].includes(this.kind);
  }
}

export interface ConfluenceStats {
  requests: number;
  retries: number;
  rateLimited: number;
  /** Response body bytes read from Confluence, as they came on the wire (gzip-compressed: content-coding.ts). */
  bytes: number;
}

/** One page of a listing. */
export interface Listing<T> {
  /** Parsed one by one as they are reached, and let go of: iterate once. */
  results: Iterable<T>;
  size: number;
  /** Whether another listing page follows. */
  more: boolean;
}

/** How a listing's element is read from its JSON bytes (their parts): parsed whole by default. */
export type ElementReader<T> = (parts: Uint8Array[]) => T;
const parseElement = <T>(parts: Uint8Array[]) => JSON.parse(elementText(parts)) as T;

/** A listing's elements read one at a time, each let go of as soon as it is reached. */
function* parseEach<T>(elements: Uint8Array[][], path: string, read: ElementReader<T>): Generator<T> {
  for (let parts = elements.shift(); parts !== undefined; parts = elements.shift()) {
    let item: T;
    try {
      item = read(parts);
    } catch (err) {
      throw new ConfluenceError('not-confluence', path, `GET ${path}: a listed item is not JSON`, {
        cause: err,
      });
    }
    yield item;
  }
}

export interface ConfluenceClientOptions {
  /** The root API paths hang off: `https://acme.atlassian.net`, `https://api.atlassian.com/ex/confluence/<cloudId>`, `https://wiki.corp/confluence`. */
  apiUrl: string;
  /** Undefined for the one request that needs none (the gateway's cloud id lookup). */
  authorization: string | undefined;
  proxy: ProxyConfig;
  connections: number;
  requestTimeoutMs: number;
  retry: RetryPolicy;
  log: Logger;
}

export interface ConfluenceClient {
  readonly apiUrl: string;
  readonly stats: ConfluenceStats;
  /** GET a JSON document (path relative to the API root, or a next link), retrying what is transient. */
  getJson(pathOrUrl: string, signal?: AbortSignal): Promise<{ body: unknown; next: string | undefined }>;
  /** Every page of a listing, following the next links exactly. */
  list<T>(
    path: string,
    query: Record<string, string>,
    signal?: AbortSignal,
    read?: ElementReader<T>,
  ): AsyncGenerator<Listing<T>>;
  close(): Promise<void>;
}

const NETWORK_CODES_NOT_RETRIED = new Set(['ENOTFOUND']);

function errorTitle(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { title?: string }[]; message?: string };
    return parsed.errors?.[0]?.title ?? parsed.message ?? '';
  } catch {
    return '';
  }
}

/**
 * Atlassian's gateway answers a scoped token without the scope a request needs with
 * `401 {"code":401,"message":"Unauthorized; scope does not match"}` and
 * `X-Failure-Category: FAILURE_CLIENT_SCOPE_CHECK` (seen in kovetskiy/mark#917 and
 * Spenhouet/confluence-markdown-exporter#210).
 */
function isScopeFailure(category: string | undefined, title: string): boolean {
  return /SCOPE_CHECK/i.test(category ?? '') || /scope does not match/i.test(title);
}

/**
 * The body as text, decoded chunk by chunk as it arrives: a 250-page listing is megabytes, and
 * collecting it into one Buffer first would add a copy of that size, outside the JS heap, per request.
 */
async function readText(body: AsyncIterable<Buffer>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/**
 * How a request is made: `listing`, its body is split as a listing (readListing); `ahead`, it is a
 * listing's next page, which takes the next free connection before other waiting requests (pace.ts).
 */
interface RequestKind {
  listing?: boolean;
  ahead?: boolean;
}

export function createConfluenceClient(opts: ConfluenceClientOptions): ConfluenceClient {
  const origin = new URL(opts.apiUrl).origin;
  // Explicit values (from config, validated once) so that undici reads no environment of its own.
  const agent = new EnvHttpProxyAgent({
    ...opts.proxy,
    connections: opts.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    headersTimeout: opts.requestTimeoutMs,
    bodyTimeout: opts.requestTimeoutMs,
    connect: { timeout: Math.min(opts.requestTimeoutMs, 10_000) },
  });
  const stats: ConfluenceStats = { requests: 0, retries: 0, rateLimited: 0, bytes: 0 };
  const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': ACCEPT_ENCODING };
  if (opts.authorization !== undefined) headers.authorization = opts.authorization;
  // Requests in flight follow the site's rate-limit signals (pace.ts), up to the connections.
  const pace = createPace(opts.connections);

  /**
   * One request. A listing's 200 body is split as it arrives and parsed page by page (see
   * listing-split.ts); anything else is read as text. Either is inflated first when gzip
   * (content-coding.ts). A body that ends early, or does not inflate, is `truncated`.
   */
  async function attempt(
    path: string,
    signal: AbortSignal | undefined,
    { listing = false, ahead = false }: RequestKind,
  ): Promise<{ body: unknown; next: string | undefined }> {
    stats.requests++;
    let status = 0;
    let responseHeaders: Record<string, string | string[] | undefined> = {};
    const header = (name: string) => {
      const v = responseHeaders[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    let isJson: boolean;
    let text = '';
    let body: unknown;
    const release = await pace.acquire(ahead);
    try {
      const res = await agent.request({
        origin,
        method: 'GET',
        path,
        headers,
        ...(signal ? { signal } : {}),
      });
      status = res.statusCode;
      responseHeaders = res.headers;
      if (asksToSlowDown(status, header)) pace.slowDown();
      else pace.ok();
      isJson = /json/i.test(header('content-type') ?? '');
      const decoded = decodedBody(res.body, header('content-encoding'), (n) => (stats.bytes += n));
      if (status === 200 && isJson) body = await (listing ? readListing : readJson)(decoded, path);
      else text = await readText(decoded);
    } catch (err) {
      if (signal?.aborted || err instanceof ConfluenceError) throw err;
      if (err instanceof UnsupportedCodingError)
        throw new ConfluenceError('not-confluence', path, `GET ${path} answered ${status}: ${err.message}`, {
          status,
        });
      if (isInflateError(err)) {
        const why = `a gzip body that does not inflate (${err.message}): cut short or corrupted on the way`;
        throw new ConfluenceError('truncated', path, `GET ${path} answered ${status} with ${why}`, {
          status,
          cause: err,
        });
      }
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
      const kind = NETWORK_CODES_NOT_RETRIED.has(code) ? 'dns' : 'network';
      throw new ConfluenceError(kind, path, `GET ${path}: ${code} ${(err as Error).message}`, { cause: err });
    } finally {
      release();
    }
    const what = `GET ${path} answered ${status}`;
    if (status === 200) {
      if (!isJson)
        throw new ConfluenceError(
          'not-confluence',
          path,
          `${what} with ${header('content-type') ?? 'no content type'}, not JSON`,
          { status },
        );
      return { body, next: nextLink(body, header('link')) };
    }
    const title = isJson ? errorTitle(text) : '';
    const message = `${what}${title ? `: ${title}` : ''}`;
    const retryAfterMs = parseRetryAfter(header('retry-after'));
    const withRetryAfter = { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    if (status === 429) throw new ConfluenceError('rate-limited', path, message, withRetryAfter);
    if (status === 401 && isScopeFailure(header('x-failure-category'), title)) {
      throw new ConfluenceError('scope', path, message, { status });
    }
    if (status === 401) throw new ConfluenceError('unauthorized', path, message, { status });
    if (status === 403) throw new ConfluenceError('forbidden', path, message, { status });
    if (status === 404 && isJson) throw new ConfluenceError('not-found', path, message, { status });
    if (status === 400) throw new ConfluenceError('bad-request', path, message, { status });
    if (status >= 500 || status === 408) throw new ConfluenceError('server', path, message, withRetryAfter);
    const where = header('location') ? ` (redirect to ${header('location')})` : '';
    throw new ConfluenceError('not-confluence', path, `${message}${where}, not a Confluence REST answer`, {
      status,
    });
  }

  const truncated = (path: string, bytes: number, cause: unknown) =>
    new ConfluenceError(
      'truncated',
      path,
      `GET ${path} answered 200 with an incomplete JSON body (${bytes} bytes)`,
      {
        status: 200,
        cause,
      },
    );

  async function readJson(body: AsyncIterable<Buffer>, path: string): Promise<unknown> {
    const text = await readText(body);
    try {
      return JSON.parse(text);
    } catch (err) {
      throw truncated(path, Buffer.byteLength(text), err);
    }
  }

  /** A listing's body, split as it arrives: `results` holds each element's bytes, parsed later by `list`. */
  async function readListing(body: AsyncIterable<Buffer>, path: string): Promise<unknown> {
    const splitter = createListingSplitter();
    const results: Uint8Array[][] = [];
    let bytes = 0;
    for await (const chunk of body) {
      bytes += chunk.length;
      for (const element of splitter.push(chunk)) results.push(element);
    }
    let document: { results?: unknown } | null;
    try {
      document = splitter.end() as { results?: unknown } | null;
    } catch (err) {
      throw truncated(path, bytes, err);
    }
    if (Array.isArray(document?.results)) document.results = results;
    return document;
  }

  async function getJson(pathOrUrl: string, signal?: AbortSignal, kind: RequestKind = {}) {
    const url = new URL(resolveNext(opts.apiUrl, pathOrUrl));
    const path = url.pathname + url.search;
    for (let retry = 0; ; retry++) {
      try {
        return await attempt(path, signal, kind);
      } catch (err) {
        if (!(err instanceof ConfluenceError) || !err.retryable) throw err;
        if (err.kind === 'rate-limited') stats.rateLimited++;
        const delay = retryDelay(opts.retry, retry, err.retryAfterMs);
        if (delay === undefined) {
          throw new ConfluenceError(err.kind, err.path, `${err.message} (gave up after ${retry} retries)`, {
            ...(err.status !== undefined ? { status: err.status } : {}),
            cause: err,
          });
        }
        stats.retries++;
        opts.log.warn(
          { path, kind: err.kind, status: err.status, retry: retry + 1, delayMs: Math.round(delay) },
          'Confluence request failed; retrying',
        );
        await sleep(delay, undefined, signal ? { signal } : {});
      }
    }
  }

  async function* list<T>(
    path: string,
    query: Record<string, string>,
    signal?: AbortSignal,
    read: ElementReader<T> = parseElement,
  ) {
    let next: string | undefined = `${path}?${new URLSearchParams(query).toString()}`;
    const seen = new Set<string>();
    while (next !== undefined) {
      // A server that hands back a cursor twice would loop forever; fail loudly instead.
      if (seen.has(next))
        throw new ConfluenceError('server', next, `GET ${next}: the listing repeats a next link`);
      seen.add(next);
      // A next page can only be asked for once the last one answered: the chain of a big space's
      // listing sets a run's length, so its links go ahead of independent requests waiting for a slot.
      const page: { body: unknown; next: string | undefined } = await getJson(next, signal, {
        listing: true,
        ahead: seen.size > 1,
      });
      const body = page.body as { results?: unknown };
      if (!Array.isArray(body.results)) {
        throw new ConfluenceError('not-confluence', next, `GET ${next}: the answer has no results list`);
      }
      yield {
        results: parseEach<T>(body.results as Uint8Array[][], next, read),
        size: body.results.length,
        more: page.next !== undefined,
      };
      next = page.next;
    }
  }

  return { apiUrl: opts.apiUrl, stats, getJson, list, close: () => agent.close() };
}
