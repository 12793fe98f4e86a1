// What every long-running service shares: /healthz and Prometheus /metrics on a small HTTP server,
// and a graceful stop on SIGTERM/SIGINT (finish the batch in hand, commit, disconnect).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './log.ts';

/** Answers one request on a path a service added (e.g. `/search`); `url` is parsed, query string included. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

export interface ServiceHandle {
  metrics: Registry;
  /** The port /healthz and /metrics listen on (useful when started on port 0). */
  port: number;
  /** Resolves when a stop signal arrives; `stopping` is true from then on. */
  stopped: Promise<void>;
  readonly stopping: boolean;
  /** Set by the service: false makes /healthz answer 503 (e.g. consumer crashed). */
  setHealthy(healthy: boolean, reason?: string): void;
  /** Serves `pathname` (any query string) next to /healthz and /metrics. */
  route(pathname: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

export async function startService(
  name: string,
  log: Logger,
  port = Number(process.env.METRICS_PORT ?? 0),
  opts: { host?: string } = {},
): Promise<ServiceHandle> {
  const host = opts.host ?? '127.0.0.1';
  const routes = new Map<string, RouteHandler>();
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: name });
  collectDefaultMetrics({ register: metrics });
  let healthy = true;
  let why = '';
  const server: Server = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          status: healthy ? 'ok' : 'unhealthy',
          service: name,
          ...(why ? { reason: why } : {}),
        }),
      );
    } else if (req.url === '/metrics') {
      metrics.metrics().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(body);
        },
        (err: Error) => {
          res.writeHead(500);
          res.end(err.message);
        },
      );
    } else {
      const url = URL.parse(req.url ?? '/', 'http://service');
      const route = url && routes.get(url.pathname);
      if (!url || !route) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: `no such path: ${url?.pathname ?? req.url}`,
            hint: `this server answers ${['/healthz', '/metrics', ...routes.keys()].join(', ')}`,
          }),
        );
        return;
      }
      Promise.resolve()
        .then(() => route(req, res, url))
        .catch((err: Error) => {
          log.error({ err, path: url.pathname }, `${name}: request failed`);
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal error' }));
        });
    }
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  // The pid, because `kill $!` after `npm run … &` signals npm, which does not pass SIGTERM on.
  log.info({ port: boundPort, pid: process.pid }, `${name}: /healthz and /metrics listening`);

  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, `${name}: stopping after the batch in hand`);
      resolve();
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });

  return {
    metrics,
    port: boundPort,
    stopped,
    get stopping() {
      return stopping;
    },
    setHealthy(value, reason = '') {
      healthy = value;
      why = reason;
    },
    route(pathname, handler) {
      routes.set(pathname, handler);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
