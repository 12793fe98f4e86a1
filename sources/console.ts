// The console: static files (HTML, ES modules, CSS) served by the sources service at /console/, with
// a strict Content-Security-Policy — scripts and styles from this origin only, no inline script, no
// frames — so even a page title that slipped through as markup could not run. No build step: the
// browser loads the modules as they are in sources/console/.
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

export const consoleRoot = fileURLToPath(new URL('./console/', import.meta.url));
export const consolePath = '/console/';

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Files are small and change with a deploy; revalidating is cheap (ETag) and never serves stale JS.
  'cache-control': 'no-cache',
};

/** Serves the console under /console/ and sends a browser that opens the service's root there. */
export async function registerConsole(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: consoleRoot,
    prefix: consolePath,
    index: 'index.html',
    // The console's tsconfig is for the type check, not for browsers.
    allowedPath: (path) => !path.endsWith('tsconfig.json'),
    setHeaders: (res) => {
      for (const [name, value] of Object.entries(securityHeaders)) res.header(name, value);
    },
  });
  app.get('/', (_req, reply) => reply.redirect(consolePath));
  app.get('/console', (_req, reply) => reply.redirect(consolePath));
}
