// Starts test/stack/connect-proxy.ts as a separate process — a real proxy on loopback between the
// producer and the simulator — and collects what it tunnelled.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ProxyHandle {
  /** `http://127.0.0.1:<port>` (with `user:pass@` when started with credentials). */
  url: string;
  /** Every request it handled, in order: CONNECT targets are `host:port`. */
  seen: { method: string; target: string; status: number }[];
  stop(): Promise<void>;
}

export async function startProxy(opts: { auth?: string } = {}): Promise<ProxyHandle> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./connect-proxy.ts', import.meta.url))], {
    env: { PATH: process.env.PATH, ...(opts.auth ? { PROXY_AUTH: opts.auth } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const seen: ProxyHandle['seen'] = [];
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`test proxy exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { port?: number; method: string; target: string; status: number };
      if (msg.port !== undefined) resolve(msg.port);
      else seen.push(msg);
    });
  });
  const credentials = opts.auth ? `${opts.auth}@` : '';
  return {
    url: `http://${credentials}127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
