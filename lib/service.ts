// What every long-running service shares: probes and Prometheus /metrics on a small HTTP server, and a
// graceful stop on SIGTERM/SIGINT (finish the batch in hand, commit, disconnect).
//   /livez   the process and its loop are alive (503 only when restarting it is the fix: a crashed consumer)
//   /readyz  its dependencies answer and it is ready to work (503 while, e.g., Elasticsearch is away:
//            an orchestrator then waits instead of restarting a service that is rightly waiting)
//   /healthz the earlier name of /readyz, kept for probes and scripts that use it
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { readConfig, vars, type Env } from './config.ts';
import type { StageHandle } from './consumer.ts';
import { createLogger, type Logger } from './log.ts';
import { scrub } from './secrets.ts';

/** Answers one request on a path a service added (e.g. `/search`); `url` is parsed, query string included. */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | Promise<void>;

/** A dependency check for /readyz: resolves when the dependency answers, rejects with why not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ServiceHandle {
  metrics: Registry;
  /** The port the probes and /metrics listen on (useful when started on port 0). */
  port: number;
  /** Resolves when a stop signal arrives; `stopping` is true from then on. */
  stopped: Promise<void>;
  readonly stopping: boolean;
  /** false makes /livez (and /readyz) answer 503: the loop is dead and only a restart helps. */
  setLive(live: boolean, reason?: string): void;
  /** false makes /readyz answer 503 for a reason the service knows (e.g. waiting for Elasticsearch). */
  setReady(ready: boolean, reason?: string): void;
  /** Adds a dependency /readyz asks each time (in parallel, each bounded by a timeout). */
  readyWhen(name: string, check: ReadinessCheck): void;
  /** Serves `pathname` (any query string) next to the probes and /metrics. */
  route(pathname: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

const shape = {
  METRICS_HOST: vars.listenHost(),
  METRICS_PORT: vars.int(0, 65_535, 9464).default(0),
};

/** Where the probes and /metrics listen: METRICS_HOST (the image sets 0.0.0.0) and METRICS_PORT (0: any free port). */
export function serviceListen(env: Env = process.env): { host: string; port: number } {
  const c = readConfig(shape, env);
  return { host: c.METRICS_HOST, port: c.METRICS_PORT };
}

const CHECK_TIMEOUT_MS = 2_000;

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(scrub(JSON.stringify(body)));
}

/** One check, bounded in time; a check still running is shared by the probes that arrive meanwhile. */
function bounded(check: ReadinessCheck): () => Promise<string> {
  let inFlight: Promise<string> | undefined;
  return () =>
    (inFlight ??= Promise.race([
      check().then(() => 'ok'),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        ).unref(),
      ),
    ])
      .catch((err: Error) => `unavailable: ${err.message}`)
      .finally(() => (inFlight = undefined)));
}

export async function startService(
  name: string,
  log: Logger,
  port?: number,
  opts: { host?: string } = {},
): Promise<ServiceHandle> {
  const listen = port === undefined || opts.host === undefined ? serviceListen() : undefined;
  const host = opts.host ?? listen!.host;
  const routes = new Map<string, RouteHandler>();
  const checks = new Map<string, () => Promise<string>>();
  const metrics = new Registry();
  metrics.setDefaultLabels({ service: name });
  collectDefaultMetrics({ register: metrics });
  const live = { ok: true, reason: '' };
  const ready = { ok: true, reason: '' };

  const readiness = async (res: ServerResponse) => {
    const names = [...checks.keys()];
    const results = await Promise.all([...checks.values()].map((check) => check()));
    const answers = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
    const ok = live.ok && ready.ok && results.every((r) => r === 'ok');
    const reason = !live.ok ? live.reason : !ready.ok ? ready.reason : '';
    json(res, ok ? 200 : 503, {
      status: ok ? 'ready' : 'not ready',
      service: name,
      ...(reason ? { reason } : {}),
      ...(names.length > 0 ? { checks: answers } : {}),
    });
  };

  const server: Server = createServer((req, res) => {
    const url = URL.parse(req.url ?? '/', 'http://service');
    const path = url?.pathname;
    if (path === '/livez') {
      json(res, live.ok ? 200 : 503, {
        status: live.ok ? 'live' : 'dead',
        service: name,
        ...(live.reason ? { reason: live.reason } : {}),
      });
    } else if (path === '/readyz' || path === '/healthz') {
      void readiness(res);
    } else if (path === '/metrics') {
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
      const route = url && routes.get(url.pathname);
      if (!url || !route) {
        json(res, 404, {
          error: `no such path: ${path ?? req.url}`,
          hint: `this server answers ${['/livez', '/readyz', '/metrics', ...routes.keys()].join(', ')}`,
        });
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
  await new Promise<void>((resolve) => server.listen(port ?? listen!.port, host, resolve));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : (port ?? 0);
  // The pid, because `kill $!` after `npm run … &` signals npm, which does not pass SIGTERM on.
  log.info({ host, port: boundPort, pid: process.pid }, `${name}: /livez, /readyz and /metrics listening`);

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
    setLive(value, reason = '') {
      live.ok = value;
      live.reason = reason;
    },
    setReady(value, reason = '') {
      ready.ok = value;
      ready.reason = reason;
    },
    readyWhen(checkName, check) {
      checks.set(checkName, bounded(check));
    },
    route(pathname, handler) {
      routes.set(pathname, handler);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** What a consumer stage gets from the CLI that runs it: where metrics go, and the probes to tell. */
export interface StageDeps {
  log: Logger;
  metrics: Registry;
  setReady(ready: boolean, reason?: string): void;
  readyWhen(name: string, check: ReadinessCheck): void;
}

export const stageDeps = (service: ServiceHandle, log: Logger): StageDeps => ({
  log,
  metrics: service.metrics,
  setReady: service.setReady,
  readyWhen: service.readyWhen,
});

/**
 * Runs a consumer stage (transformer, indexer) as a service: probes and /metrics, until SIGTERM or
 * SIGINT (then a graceful stop) or a crash (then /livez turns 503 and the error reaches the CLI's exit).
 */
export async function runStage(
  name: string,
  start: (deps: StageDeps) => Promise<StageHandle>,
): Promise<void> {
  const log = createLogger(name);
  const service = await startService(name, log);
  try {
    const stage = await start(stageDeps(service, log));
    const crashed = stage.done.catch((err: Error) => {
      service.setLive(false, err.message);
      throw err;
    });
    try {
      await Promise.race([service.stopped, crashed]);
    } finally {
      await stage.stop();
    }
  } finally {
    await service.close();
  }
}
