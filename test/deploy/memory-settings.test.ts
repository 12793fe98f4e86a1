// The services start with the same memory settings however they are started: the npm scripts, the
// image (its environment and entrypoint, which deploy/ uses) and the compose file's own entrypoints.
// bench/README.md#end-to-end-memory measures them; a service started without them needs up to twice
// the memory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { scriptCommand } from '../../bench/pipeline.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const read = (f: string) => readFileSync(path.join(root, f), 'utf8');
const dockerfile = read('Dockerfile');
const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
const tunables = /^\s*(?:ENV\s+)?GLIBC_TUNABLES=(\S+?)\s*\\?$/m.exec(dockerfile)?.[1];
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { entrypoint?: string[] }>;
};
/** node's flags in an argv that starts with `node` (up to the script file). */
const flagsOf = (argv: string[]) => argv.slice(1, argv.indexOf('cli.ts'));
const memoryFlags = (flags: string[]) => flags.filter((f) => !f.startsWith('--disable-warning'));

describe('memory settings', () => {
  const services = ['producer', 'transformer', 'indexer', 'sources'] as const;

  it.each(services)('npm run %s uses the allocator tunables and V8 flags of the image', (name) => {
    const cmd = scriptCommand(name);
    expect(tunables).toMatch(/arena_max=\d+/);
    expect(cmd.env.GLIBC_TUNABLES).toBe(tunables);
    expect(memoryFlags(cmd.nodeFlags)).toEqual(flagsOf(entrypoint));
    expect(flagsOf(entrypoint)).toContain('--max-semi-space-size=2');
  });

  it('compose services that replace the entrypoint keep its node flags', () => {
    const own = Object.entries(compose.services).filter(([, s]) => s.entrypoint?.[0] === 'node');
    expect(own.length).toBeGreaterThan(0);
    for (const [, s] of own) expect(flagsOf(s.entrypoint!)).toEqual(flagsOf(entrypoint));
  });
});
