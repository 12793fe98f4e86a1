// A real HTTP proxy for tests, run as its own process (test/stack/proxy.ts starts it): CONNECT
// tunnels (what undici's ProxyAgent opens, for http and https targets alike) and plain absolute-URI
// forwarding, optionally behind Basic proxy credentials (PROXY_AUTH=user:pass → 407 without them).
// Prints {"port":N} when listening, then one JSON line per request it handled: {"method","target","status"}.
import { createServer, request } from 'node:http';
import { connect } from 'node:net';

const auth = process.env.PROXY_AUTH
  ? `Basic ${Buffer.from(process.env.PROXY_AUTH).toString('base64')}`
  : undefined;
const log = (method: string, target: string, status: number) =>
  process.stdout.write(`${JSON.stringify({ method, target, status })}\n`);
const allowed = (header: string | undefined) => auth === undefined || header === auth;

const server = createServer((req, res) => {
  const target = req.url ?? '';
  if (!allowed(req.headers['proxy-authorization'])) {
    log(req.method ?? 'GET', target, 407);
    res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' }).end();
    return;
  }
  const headers = { ...req.headers };
  delete headers['proxy-authorization'];
  const upstream = request(target, { method: req.method, headers }, (up) => {
    log(req.method ?? 'GET', target, up.statusCode ?? 0);
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
});

server.on('connect', (req, client, head) => {
  const target = req.url ?? '';
  if (!allowed(req.headers['proxy-authorization'])) {
    log('CONNECT', target, 407);
    client.end(
      'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n',
    );
    return;
  }
  const at = target.lastIndexOf(':');
  const upstream = connect(Number(target.slice(at + 1)), target.slice(0, at).replace(/^\[|\]$/g, ''), () => {
    log('CONNECT', target, 200);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  const close = () => {
    upstream.destroy();
    client.destroy();
  };
  upstream.on('error', close);
  client.on('error', close);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`,
  );
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
