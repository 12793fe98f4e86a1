// Our pull against Airbyte's `source-confluence` 0.2.16 on the same simulated site, pair by pair in one
// session (the order alternates, so drift in the machine's load hits both alike). Each side is a whole
// process, start-up included: `npm run producer -- run` into Kafka, and the connector's `read` of its
// `pages` stream to /dev/null (records counted). Prints pages/s and requests per side, and the ratio.
//   npm run bench:airbyte -- [--pages 20000] [--spaces 8] [--pairs 5] [--cost realistic]
// It installs the connector itself into .bench/airbyte-venv (Python 3.10: it imports under no other; from
// AIRBYTE_PYTHON, python3.10 on PATH, or pyenv's 3.10), or says exactly what is missing.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  benchId,
  load,
  median,
  pipelineEnv,
  removePipeline,
  pullProcess,
  root,
  startSimProcess,
  type SimProcess,
} from './pipeline.ts';

const CONNECTOR = 'airbyte-source-confluence==0.2.16';
const venv = join(root, '.bench/airbyte-venv');
const connectorBin = join(venv, 'bin/source-confluence');

function python310(): string | undefined {
  const works = (bin: string) =>
    spawnSync(bin, ['-c', 'import sys; assert sys.version_info[:2] == (3, 10)']).status === 0;
  const candidates = [process.env.AIRBYTE_PYTHON, 'python3.10'];
  const pyenv =
    spawnSync('pyenv', ['root'], { encoding: 'utf8' }).stdout?.trim() || join(homedir(), '.pyenv');
  if (existsSync(join(pyenv, 'versions')))
    for (const v of readdirSync(join(pyenv, 'versions')).filter((v) => v.startsWith('3.10')))
      candidates.push(join(pyenv, 'versions', v, 'bin/python'));
  return candidates.find((bin) => bin !== undefined && works(bin));
}

/** The connector in its own venv, installed on first use; exits naming what is missing otherwise. */
function ensureConnector(): void {
  if (existsSync(connectorBin)) return;
  const python = python310();
  if (!python) {
    console.error(
      `Missing: Python 3.10 (${CONNECTOR} imports under no other version). Install it (e.g. pyenv install 3.10) ` +
        'or set AIRBYTE_PYTHON to a python3.10, then run again.',
    );
    process.exit(2);
  }
  console.log(`installing ${CONNECTOR} into .bench/airbyte-venv with ${python} ...`);
  for (const [bin, args] of [
    [python, ['-m', 'venv', venv]],
    [join(venv, 'bin/pip'), ['install', '-q', CONNECTOR]],
  ] as const) {
    const r = spawnSync(bin, args, { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`Missing: ${CONNECTOR} — \`${bin} ${args.join(' ')}\` failed (is PyPI reachable?).`);
      process.exit(2);
    }
  }
}

/**
 * The connector verifies TLS through certifi's bundle only (it ignores REQUESTS_CA_BUNDLE), so the
 * simulator's certificate goes into the venv's copy of that bundle, next to the pristine original.
 */
function trustInCertifi(ca: string): void {
  const bundle = spawnSync(join(venv, 'bin/python'), ['-c', 'import certifi; print(certifi.where())'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (!existsSync(`${bundle}.orig`)) copyFileSync(bundle, `${bundle}.orig`);
  writeFileSync(bundle, readFileSync(`${bundle}.orig`, 'utf8') + '\n' + ca);
}

interface Side {
  seconds: number;
  pages: number;
  requests: number;
}

const tmp = mkdtempSync(join(tmpdir(), 'bench-airbyte-'));

async function airbyte(sim: SimProcess): Promise<Side> {
  const config = join(tmp, 'config.json');
  const catalog = join(tmp, 'catalog.json');
  writeFileSync(
    config,
    JSON.stringify({ email: sim.email, api_token: sim.token, domain_name: new URL(sim.baseUrl).host }),
  );
  writeFileSync(
    catalog,
    JSON.stringify({
      streams: [
        {
          stream: { name: 'pages', json_schema: {}, supported_sync_modes: ['full_refresh'] },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'overwrite',
        },
      ],
    }),
  );
  const before = (await sim.state()).requests;
  const started = performance.now();
  const child = spawn(connectorBin, ['read', '--config', config, '--catalog', catalog], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-2000)));
  let pages = 0;
  for await (const line of createInterface({ input: child.stdout }))
    if (line.startsWith('{"type": "RECORD"')) pages++;
  const [code] = (await (child.exitCode === null ? once(child, 'exit') : [child.exitCode])) as [number];
  if (code !== 0) throw new Error(`source-confluence exited ${code}: ${errors}`);
  return {
    seconds: (performance.now() - started) / 1000,
    pages,
    requests: (await sim.state()).requests - before,
  };
}

async function ours(sim: SimProcess): Promise<Side> {
  const caFile = join(tmp, 'sim-ca.pem');
  writeFileSync(caFile, sim.ca!);
  const env = { ...pipelineEnv(benchId('airbyte'), sim), NODE_EXTRA_CA_CERTS: caFile };
  const before = (await sim.state()).requests;
  try {
    const pull = await pullProcess(env);
    return { seconds: pull.seconds, pages: pull.pages, requests: (await sim.state()).requests - before };
  } finally {
    await removePipeline(env);
  }
}

const { values } = parseArgs({
  options: {
    pages: { type: 'string', default: '20000' },
    spaces: { type: 'string', default: '8' },
    pairs: { type: 'string', default: '5' },
    cost: { type: 'string', default: 'realistic' },
  },
});
ensureConnector();
const sim = await startSimProcess({
  tls: true,
  pages: values.pages,
  spaces: values.spaces,
  cost: values.cost,
});
trustInCertifi(sim.ca!);
const rate = (s: Side) => s.pages / s.seconds;
const fmt = (s: Side) =>
  `${rate(s).toFixed(0)} pages/s (${s.pages} pages, ${s.seconds.toFixed(1)} s, ${s.requests} requests)`;
const ratios: number[] = [];
const rates = { ours: [] as number[], airbyte: [] as number[] };
try {
  console.log(
    `${sim.pages} pages in ${values.spaces} spaces, cost model ${values.cost}, ${values.pairs} pairs`,
  );
  for (let i = 0; i < Number(values.pairs); i++) {
    const loadBefore = load();
    const first = i % 2 === 0 ? 'ours' : 'airbyte';
    const r: Record<string, Side> = {};
    for (const side of first === 'ours' ? ['ours', 'airbyte'] : ['airbyte', 'ours'])
      r[side] = side === 'ours' ? await ours(sim) : await airbyte(sim);
    const [a, b] = [r.ours!, r.airbyte!];
    if (a.pages !== sim.pages || b.pages !== sim.pages)
      throw new Error(`pages pulled: ours ${a.pages}, Airbyte ${b.pages}, site ${sim.pages}`);
    ratios.push(rate(a) / rate(b));
    rates.ours.push(rate(a));
    rates.airbyte.push(rate(b));
    console.log(
      `pair ${i + 1} (${first} first, load ${loadBefore} → ${load()}): ours ${fmt(a)}; Airbyte ${fmt(b)}; ` +
        `${(rate(a) / rate(b)).toFixed(1)}×`,
    );
  }
  const spread = (xs: number[], d = 0) =>
    `median ${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
  console.log(
    `ours ${spread(rates.ours)} pages/s; Airbyte ${spread(rates.airbyte)} pages/s; ratio ${spread(ratios, 1)}×`,
  );
} finally {
  await sim.stop();
  rmSync(tmp, { recursive: true, force: true });
}
