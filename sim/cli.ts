// `sim serve`: the simulator as a process. Prints one JSON line when ready, serves until SIGTERM/SIGINT.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { NO_COST, REALISTIC_COST, type CostModel } from './cost.ts';
import { parseFaultSpec } from './faults.ts';
import { startGateway, startSim } from './index.ts';

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function ms(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a number of milliseconds >= 0, e.g. 0.2`);
    return n;
  };
}

function faultSpec(v: string): string {
  try {
    parseFaultSpec(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return v;
}

/** The preset named by --cost, with each --cost-* flag given overriding its part. */
function costOption(o: Record<string, unknown>): CostModel {
  const preset = o.cost === 'realistic' ? REALISTIC_COST : NO_COST;
  const part = (name: keyof CostModel) => (typeof o[name] === 'number' ? o[name] : preset[name]);
  return {
    costBaseMs: part('costBaseMs'),
    costPerResultMs: part('costPerResultMs'),
    costPerBodyKbMs: part('costPerBodyKbMs'),
  };
}

export function registerSim(program: Command): void {
  const sim = program
    .command('sim')
    .description('Confluence simulator: Cloud, its gateway, Data Center (see sim/README.md)');
  sim
    .command('serve')
    .description(
      'serve a generated Confluence Cloud site; prints {"baseUrl","email","token","pages"} when ready (and "ca", the certificate, with --tls)',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', int('--port', 0), 0)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--seed <n>', 'content seed: same seed, same site', int('--seed', 0), 1)
    .option('--spaces <n>', 'number of spaces', int('--spaces', 1), 6)
    .option(
      '--pages <n>',
      'number of current pages (archived, draft, trashed come on top)',
      int('--pages', 0),
      300,
    )
    .option('--latency-ms <n>', 'fixed delay added to every API request', int('--latency-ms', 0), 0)
    .option('--jitter-ms <n>', 'random extra delay, up to this many ms', int('--jitter-ms', 0), 0)
    .option(
      '--rate-limit <n>',
      'requests per second per credential; 0 = unlimited',
      int('--rate-limit', 0),
      0,
    )
    .option(
      '--faults <spec>',
      'random fault rates, e.g. 500=0.01,503=0.01,reset=0.005 (see README)',
      faultSpec,
    )
    .option('--slow-ms <n>', 'stall of a "slow" fault', int('--slow-ms', 0), 3000)
    .addOption(
      new Option('--cost <model>', 'response cost model: realistic (see README) or none')
        .choices(['none', 'realistic'])
        .default('none'),
    )
    .option('--cost-base-ms <ms>', 'cost model: per request (overrides --cost)', ms('--cost-base-ms'))
    .option('--cost-per-result-ms <ms>', 'cost model: per listed result', ms('--cost-per-result-ms'))
    .option('--cost-per-body-kb-ms <ms>', 'cost model: per KB of page body', ms('--cost-per-body-kb-ms'))
    .option('--tls', 'serve HTTPS with a self-signed certificate generated at start')
    .option('--no-gzip', 'answer plain JSON even to clients that accept gzip')
    .addOption(
      new Option('--deployment <kind>', 'cloud (v2 + v1 under /wiki) or data-center (v1, Bearer PATs)')
        .choices(['cloud', 'data-center'])
        .default('cloud'),
    )
    .option('--context-path <path>', 'data-center: the context path, e.g. /confluence', '')
    .addOption(
      new Option('--bad-credentials <answer>', 'what wrong credentials get')
        .choices(['401', '403', 'anonymous'])
        .default('401'),
    )
    .option('--gateway', 'cloud: also serve an api.atlassian.com-like gateway for scoped tokens')
    .action(async (o: Record<string, unknown>) => {
      const handle = await startSim({
        port: o.port as number,
        host: o.host as string,
        seed: o.seed as number,
        spaces: o.spaces as number,
        pages: o.pages as number,
        latencyMs: o.latencyMs as number,
        jitterMs: o.jitterMs as number,
        rateLimit: o.rateLimit as number,
        slowMs: o.slowMs as number,
        cost: costOption(o),
        tls: o.tls === true,
        gzip: o.gzip !== false,
        deployment: o.deployment as 'cloud' | 'data-center',
        contextPath: o.contextPath as string,
        badCredentials: o.badCredentials as '401' | '403' | 'anonymous',
        ...(typeof o.faults === 'string' ? { faults: o.faults } : {}),
      });
      const gateway = o.gateway === true ? await startGateway({ sites: [handle] }) : undefined;
      process.stdout.write(
        JSON.stringify({
          baseUrl: handle.baseUrl,
          email: handle.email,
          token: handle.token,
          pages: handle.pages,
          ...(handle.ca ? { ca: handle.ca } : {}),
          ...(handle.deployment === 'data-center' ? { deployment: handle.deployment } : {}),
          ...(gateway ? { gatewayUrl: gateway.url, cloudId: handle.cloudId } : {}),
        }) + '\n',
      );
      const stop = (): void => {
        void Promise.all([handle.close(), gateway?.close()]).then(() => process.exit(0));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
