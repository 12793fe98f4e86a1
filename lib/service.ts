// What every long-running service shares: /healthz and Prometheus /metrics on a small HTTP server,
// and a graceful stop on SIGTERM/SIGINT (finish the batch in hand, commit, disconnect).
import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './log.ts';

export interface ServiceHandle {
  metrics: Registry;
  /** The port /healthz and /metrics listen on (useful when started on port 0). */
  port: number;
  /** Resolves when a stop signal arrives; `stopping` is true from then on. */
  stopped: Promise<void>;
  readonly stopping: boolean;
  /** Set by the service: false makes /healthz answer 503 (e.g. consumer crashed). */
  setHealthy(healthy: boolean, reason?: string): void;
  close(): Promise<void>;
}

export async function startService(
  name: string,
  log: Logger,
  port = Number(process.env.METRICS_PORT ?? 0),
): Promise<ServiceHandle> {
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
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  log.info({ port: boundPort }, `${name}: /healthz and /metrics listening`);

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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
