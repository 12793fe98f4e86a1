// Fills Node's compile cache (the directory NODE_COMPILE_CACHE names) with every module of the product,
// so that a service started later finds each of its .ts files already stripped of types and compiled and
// never loads the type stripper: its WebAssembly memory (~18 MB) would stay for the life of the process
// (bench/README.md#end-to-end-memory). V8 keys the cache by its flags: run this with the node flags of
// the services that will read it. The image runs it at build time; the end-to-end benchmarks before
// they start the stages. Importing a module runs nothing here: the product's modules only declare.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { flushCompileCache, getCompileCacheDir } from 'node:module';

// Every folder a service imports from.
const folders = ['lib', 'schemas', 'producer', 'transformer', 'indexer', 'ops', 'search', 'sources', 'sim'];

if (!getCompileCacheDir()) {
  console.error('NODE_COMPILE_CACHE is not set: name the directory the services will read the cache from.');
  process.exit(2);
}
for (const folder of folders)
  for (const file of readdirSync(new URL(`../${folder}`, import.meta.url), {
    recursive: true,
    encoding: 'utf8',
  }))
    if (file.endsWith('.ts')) await import(new URL(`../${folder}/${file}`, import.meta.url).href);
flushCompileCache();
// cli.ts runs a command when imported: its help compiles it (and each area's commands).
execFileSync(process.execPath, [...process.execArgv, 'cli.ts', '--help'], {
  cwd: new URL('..', import.meta.url),
  stdio: 'ignore',
});
