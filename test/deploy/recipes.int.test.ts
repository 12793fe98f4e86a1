// The container recipes work as written: every command line in deploy/ and docker-compose.yml (and every
// `docker compose run` line of the docs) is one the CLI accepts, resolved through the image's entrypoint
// exactly as the container runtime would; the CronJob's and `docker compose run --rm producer check`'s
// command lines are run for real against a simulated site and the test stack; probes point at the
// servers' real paths and ports; the image holds every file the CLI imports and no dev dependency.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { servicesConfig } from '../../lib/config.ts';
import { startSim, type SimHandle } from '../../sim/index.ts';
import { cleanUp } from '../indexer/fixtures.ts';
import { isolatedEnv } from '../stack/services.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const dockerfile = read('Dockerfile');
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
const imageEnv = Object.fromEntries(
  [...dockerfile.matchAll(/^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm)].map((m) => [m[1]!, m[2]!]),
);

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value: string }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
}
type Workload = { kind: string; metadata: { name: string }; spec: Record<string, unknown> };

const manifests: Workload[] = readdirSync(path.join(root, 'deploy'))
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(read(`deploy/${f}`)).map((d) => d.toJS() as Workload));
const podSpec = (w: Workload) =>
  (w.kind === 'CronJob'
    ? (w.spec as { jobTemplate: { spec: { template: { spec: unknown } } } }).jobTemplate.spec.template.spec
    : (w.spec as { template: { spec: unknown } }).template.spec) as { containers: Container[] };
const workloads = manifests.filter((w) => ['Deployment', 'CronJob'].includes(w.kind));

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { entrypoint?: string[]; command?: string[]; build?: string }>;
};

/** What the container runs: its entrypoint (or the image's) followed by its arguments, node as this node. */
function argv(entry: string[] | undefined, args: string[]): string[] {
  const [node, ...rest] = [...(entry ?? entrypoint), ...args];
  expect(node).toBe('node');
  return rest;
}

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, out })),
  );
}

/** `docker compose run --rm <service> <args>` lines of the README, the docs and the compose file. */
function composeRunLines(): Array<{ service: string; args: string[]; where: string }> {
  const files = [
    'README.md',
    'docker-compose.yml',
    ...readdirSync(path.join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((f) =>
    [...read(f).matchAll(/docker compose run --rm ([a-z-]+)((?: [a-z0-9-]+)*)/g)].map((m) => ({
      service: m[1]!,
      args: m[2]!.trim().split(' ').filter(Boolean),
      where: f,
    })),
  );
}

let sim: SimHandle;
let env: Record<string, string>;
beforeAll(async () => {
  sim = await startSim({ seed: 77, spaces: 2, pages: 12 });
  env = isolatedEnv('recipes', {
    CONFLUENCE_BASE_URL: sim.baseUrl,
    CONFLUENCE_EMAIL: sim.email,
    CONFLUENCE_API_TOKEN: sim.token,
    SOURCE_ID: 'recipes-site',
  });
});
afterAll(async () => {
  await sim?.close().catch(() => {});
  if (env) await cleanUp(servicesConfig(env));
});

describe('deploy/ and docker-compose.yml', () => {
  it('every workload container and compose service runs a command the CLI knows', async () => {
    const lines = [
      ...workloads.flatMap((w) => podSpec(w).containers.map((c) => argv(c.command, c.args ?? []))),
      ...Object.values(compose.services)
        .filter((s) => s.build)
        .map((s) => argv(s.entrypoint, s.command ?? [])),
    ];
    expect(lines.length).toBeGreaterThanOrEqual(9);
    for (const line of lines) {
      const help = await run([...line.filter((a) => a !== '--help'), '--help']);
      expect(help.out, line.join(' ')).not.toMatch(/unknown (command|option)/);
      expect(help.code, `${line.join(' ')}\n${help.out}`).toBe(0);
    }
  });

  it("the CronJob's command line pulls a site for real", async () => {
    const cron = workloads.find((w) => w.kind === 'CronJob')!;
    const container = podSpec(cron).containers[0]!;
    const result = await run(argv(container.command, container.args!), env);
    expect(result.code, result.out).toBe(0);
    expect(result.out).toMatch(/SUCCEEDED/);
  });

  it('every `docker compose run` line of the docs resolves to a command the CLI knows; `producer check` runs for real', async () => {
    const lines = composeRunLines();
    expect(lines.map((l) => `${l.service} ${l.args.join(' ')}`)).toEqual(
      expect.arrayContaining(['producer check', 'ops runs']),
    );
    for (const { service, args, where } of lines) {
      const s = compose.services[service];
      expect(s, `${where}: no compose service ${service}`).toBeDefined();
      const line = argv(s!.entrypoint, args);
      const help = await run([...line, '--help']);
      expect(help.code, `${where}: ${line.join(' ')}\n${help.out}`).toBe(0);
    }
    const check = await run(argv(compose.services.producer!.entrypoint, ['check']), env);
    expect(check.code, check.out).toBe(0);
    expect(check.out).toMatch(/^ok: /m);
  });

  it('probes ask /livez and /readyz on a port the container names; metrics where the image serves them', () => {
    for (const w of workloads.filter((x) => x.kind === 'Deployment')) {
      for (const c of podSpec(w).containers) {
        expect(c.livenessProbe?.httpGet.path, w.metadata.name).toBe('/livez');
        expect(c.readinessProbe?.httpGet.path, w.metadata.name).toBe('/readyz');
        const port = c.ports!.find((p) => p.name === c.readinessProbe!.httpGet.port);
        expect(port, `${w.metadata.name}: probe port`).toBeDefined();
        // The search server answers its probes next to /search; the others on METRICS_PORT.
        const expected = c.args?.includes('--serve')
          ? Number(c.args[c.args.indexOf('--port') + 1])
          : Number(imageEnv.METRICS_PORT);
        expect(port!.containerPort, w.metadata.name).toBe(expected);
      }
    }
    expect(imageEnv.METRICS_HOST).toBe('0.0.0.0');
  });
});

describe('the image', () => {
  /**
   * Files reachable from cli.ts through relative imports, and the packages imported statically on the
   * way (a module only loaded by a dynamic import, like the Testcontainers path of the demo, may use a
   * dev dependency: it never loads in the image).
   */
  function importGraph() {
    const files = new Set<string>();
    const packages = new Set<string>();
    const staticFiles = new Set<string>();
    const visit = (file: string, reachedStatically: boolean) => {
      if (reachedStatically ? staticFiles.has(file) : files.has(file)) return;
      files.add(file);
      if (reachedStatically) staticFiles.add(file);
      const text = readFileSync(path.join(root, file), 'utf8');
      for (const m of text.matchAll(
        /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\('([^']+)'\)/g,
      )) {
        const spec = (m[1] ?? m[2])!;
        const isStatic = m[1] !== undefined && !/^\s*(import|export) type/.test(m[0]);
        if (spec.startsWith('.'))
          visit(
            path.relative(root, path.resolve(root, path.dirname(file), spec)),
            reachedStatically && isStatic,
          );
        else if (!spec.startsWith('node:') && isStatic && reachedStatically)
          packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    };
    visit('cli.ts', true);
    return { files, packages };
  }

  it('copies every file the CLI imports, and no test, benchmark or stack data', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!package)(\S+) /gm)].map((m) => m[1]!);
    const { files } = importGraph();
    expect(files.size).toBeGreaterThan(50);
    for (const f of files)
      expect(
        copied.some((c) => f === c || f.startsWith(`${c.replace(/\/$/, '')}/`)),
        f,
      ).toBe(true);
    for (const dir of ['test', 'bench', 'docs', 'deploy', '.stack', '.env', '.git'])
      expect(copied).not.toContain(dir);
    const ignore = read('.dockerignore');
    expect(ignore).toMatch(/^\*\*$/m);
    for (const pattern of ['**/.env*', '**/*.pem', '**/*.key']) expect(ignore).toContain(pattern);
  });

  it('needs only production dependencies (npm ci --omit=dev)', () => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const { packages } = importGraph();
    const missing = [...packages].filter((p) => !(p in pkg.dependencies));
    expect(missing).toEqual([]);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
  });
});
