// The secured local stack's TLS front for the schema registry and Elasticsearch, whose local builds
// cannot do TLS and authentication themselves (Apicurio's needs Keycloak; Elasticsearch's integ-test
// distribution has no security module). A real TLS-terminating reverse proxy: it checks the
// Authorization header the way those servers would (basic auth; Elasticsearch API keys or basic auth),
// answers 401 with their bodies, and forwards everything else to the plain server on loopback.
// Development only: `npm run stack -- up --secure` starts it; production clusters do this themselves.
// Usage: node auth-proxy.ts <config.json>
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';

export interface ProxyFront {
  name: 'registry' | 'elasticsearch';
  port: number;
  upstream: string;
  /** Files whose content, with its scheme, is an accepted Authorization header: [scheme, user | undefined, file]. */
  credentials: Array<{ scheme: 'Basic' | 'ApiKey'; user?: string; file: string }>;
}

export interface ProxyConfig {
  certFile: string;
  keyFile: string;
  fronts: ProxyFront[];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function acceptedHeaders(front: ProxyFront): Buffer[] {
  return front.credentials.map(({ scheme, user, file }) => {
    const secret = readFileSync(file, 'utf8').trim();
    const token = user === undefined ? secret : Buffer.from(`${user}:${secret}`).toString('base64');
    return digest(`${scheme} ${token}`);
  });
}

/** What each server says to a request without valid credentials. */
function unauthorized(front: ProxyFront): { headers: Record<string, string>; body: unknown } {
  if (front.name === 'registry') {
    return {
      headers: { 'www-authenticate': 'Basic realm="schema-registry"' },
      body: { error_code: 401, message: 'Unauthorized' },
    };
  }
  const reason = 'unable to authenticate user for REST request';
  return {
    headers: {
      'www-authenticate': 'ApiKey, Basic realm="security", charset="UTF-8"',
      'x-elastic-product': 'Elasticsearch',
    },
    body: {
      error: { root_cause: [{ type: 'security_exception', reason }], type: 'security_exception', reason },
      status: 401,
    },
  };
}

export function startFront(front: ProxyFront, tls: { cert: string; key: string }): Server {
  const accepted = acceptedHeaders(front);
  const upstream = new URL(front.upstream);
  const server = createServer(tls, (req, res) => {
    const given = digest(req.headers.authorization ?? '');
    if (!accepted.some((a) => timingSafeEqual(a, given))) {
      const { headers, body } = unauthorized(front);
      res.writeHead(401, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
      req.resume();
      return;
    }
    // The servers behind have no security of their own: the credentials stop here.
    const headers = { ...req.headers };
    delete headers.authorization;
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `upstream ${front.name} unavailable: ${err.message}` }));
    });
    req.pipe(forward);
  });
  server.listen(front.port, '127.0.0.1');
  return server;
}

if (import.meta.main) {
  const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as ProxyConfig;
  const tls = { cert: readFileSync(config.certFile, 'utf8'), key: readFileSync(config.keyFile, 'utf8') };
  const servers = config.fronts.map((front) => startFront(front, tls));
  for (const front of config.fronts)
    console.log(`${front.name}: https://127.0.0.1:${front.port} -> ${front.upstream}`);
  const stop = () => {
    for (const s of servers) s.close();
    for (const s of servers) s.closeAllConnections();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
