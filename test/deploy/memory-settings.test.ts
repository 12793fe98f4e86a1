// A service starts with the same memory settings however it is started: its npm script, its compose
// service and its Kubernetes manifest (the image's environment and entrypoint unless they replace it).
// bench/README.md#end-to-end-memory measures them; a stage started without them needs up to twice the
// memory. The image ships a compile cache for those flags, so no service loads the type stripper.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { scriptCommand } from '../../bench/pipeline.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const dockerfile = read('Dockerfile');
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
const tunables = /^\s*(?:ENV\s+)?GLIBC_TUNABLES=(\S+?)\s*\\?$/m.exec(dockerfile)?.[1];
const imageCache = /^\s*(?:ENV\s+)?NODE_COMPILE_CACHE=(\S+?)\s*\\?$/m.exec(dockerfile)?.[1];
/** The node flags of each `node … scripts/compile-cache.ts` the image is built with (the caches it ships). */
const warmedFlags = [...dockerfile.matchAll(/node ((?:--\S+ )*)scripts\/compile-cache\.ts/g)].map((m) =>
  m[1]!.trim().split(' '),
);
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { entrypoint?: string[]; command?: string[] }>;
};
interface Container {
  command?: string[];
  args?: string[];
}
const containers = readdirSync(path.join(root, 'deploy'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseAllDocuments(read(`deploy/${f}`)).map((d) => d.toJS() as Record<string, unknown>))
  .flatMap((w) => {
    const spec = w.spec as
      | {
          template?: { spec: { containers: Container[] } };
          jobTemplate?: { spec: { template: { spec: { containers: Container[] } } } };
        }
      | undefined;
    return (spec?.jobTemplate?.spec.template.spec ?? spec?.template?.spec)?.containers ?? [];
  });

/** node's flags in an argv that starts with `node` (up to the script file). */
const flagsOf = (argv: string[]) => argv.slice(1, argv.indexOf('cli.ts'));
const memoryFlags = (flags: string[]) => flags.filter((f) => !f.startsWith('--disable-warning'));
/** The node flags a container runs `cli.ts <name>` with: its own entrypoint/command, or the image's. */
const containerFlags = (name: string) => {
  const composed = compose.services[name]!;
  const pod = containers.find((c) => c.args?.[0] === name);
  return {
    compose: flagsOf(composed.entrypoint ?? entrypoint),
    ...(pod ? { deploy: flagsOf(pod.command ?? entrypoint) } : {}),
  };
};

describe('memory settings', () => {
  const services = ['producer', 'transformer', 'indexer', 'sources'] as const;

  it.each(services)('npm run %s, its compose service and its manifest use the same settings', (name) => {
    const cmd = scriptCommand(name);
    expect(tunables).toMatch(/arena_max=\d+/);
    expect(cmd.env.GLIBC_TUNABLES).toBe(tunables);
    const flags = memoryFlags(cmd.nodeFlags);
    expect(flags).toContainEqual(expect.stringMatching(/^--max-semi-space-size=\d+$/));
    const where = containerFlags(name);
    expect(where.compose).toEqual(flags);
    expect(where.deploy).toEqual(flags);
  });

  // V8 keys its compile cache by its flags: a cache filled with other flags is never read, and the
  // service loads the type stripper after all.
  it.each(services)('npm run %s and its containers read a compile cache filled for their flags', (name) => {
    expect(scriptCommand(name).env.NODE_COMPILE_CACHE).toBeTruthy();
    expect(imageCache).toMatch(/^\//);
    const where = containerFlags(name);
    expect(warmedFlags).toContainEqual(where.compose);
    if (where.deploy) expect(warmedFlags).toContainEqual(where.deploy);
  });
});
