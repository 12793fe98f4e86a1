// The local stack: real Kafka (KRaft), Apicurio Registry and Elasticsearch as JVM processes, for
// machines without a Docker engine. Artifacts come from Maven Central through `mvn` (cached in the
// local Maven repository); everything the servers write lives under the git-ignored stack folder.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  chmodSync,
  accessSync,
  constants,
} from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const VERSIONS = { kafka: '4.1.1', apicurio: '3.3.3', elasticsearch: '8.19.21' } as const;

export interface StackEndpoints {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  elasticsearchUrl: string;
}

interface Server {
  name: 'kafka' | 'registry' | 'elasticsearch';
  port: number;
  endpoint: string;
  ready(): Promise<boolean>;
  install(): void;
  start(): number;
}

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Can every user walk down to `dir`? Elasticsearch runs as its own user when we are root. */
function traversableByAll(dir: string): boolean {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) return false;
    if (d === path.dirname(d)) return true;
  }
}

// The stack lives in the project's git-ignored .stack; as root inside a folder other users cannot enter,
// it moves to a per-project folder under /var/tmp instead, so Elasticsearch's own user can reach it.
const stackDir = path.resolve(
  process.env.STACK_DIR ??
    (process.getuid?.() === 0 && !traversableByAll(projectRoot)
      ? path.join(
          '/var/tmp',
          `cks-stack-${createHash('sha1').update(projectRoot).digest('hex').slice(0, 10)}`,
        )
      : path.join(projectRoot, '.stack')),
);
const distDir = path.join(stackDir, 'dist');
const ES_USER = 'cks-elasticsearch';

function port(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new Error(
      `${variable}=${raw} is not a TCP port: use a whole number from 1 to 65535, e.g. ${fallback}`,
    );
  }
  return n;
}

// Defaults sit off the usual 9092/8081/9200 so a developer's own services keep their ports.
const ports = {
  kafka: port('STACK_KAFKA_PORT', 19092),
  controller: port('STACK_KAFKA_CONTROLLER_PORT', 19093),
  registry: port('STACK_REGISTRY_PORT', 18081),
  registryManagement: port('STACK_REGISTRY_MANAGEMENT_PORT', 18082),
  elasticsearch: port('STACK_ELASTICSEARCH_PORT', 19200),
};

export const localEndpoints: StackEndpoints = {
  kafkaBrokers: `127.0.0.1:${ports.kafka}`,
  schemaRegistryUrl: `http://127.0.0.1:${ports.registry}/apis/ccompat/v7`,
  elasticsearchUrl: `http://127.0.0.1:${ports.elasticsearch}`,
};

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) throw new Error(`${cmd} could not start (${r.error.message}); is it installed and on PATH?`);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${(r.stdout + r.stderr).slice(-4000)}`);
  return r.stdout;
}

function mvn(args: string[]): void {
  run('mvn', ['-q', '-B', ...args], { cwd: path.join(projectRoot, 'scripts', 'stack') });
}

/** A JDK home: the variable if set, else the first installed JDK of at least `minMajor`. */
function javaHome(variable: string, minMajor: number): string {
  const fromEnv = process.env[variable];
  if (fromEnv) return fromEnv;
  const candidates = existsSync('/usr/lib/jvm')
    ? readdirSync('/usr/lib/jvm').map((d) => path.join('/usr/lib/jvm', d))
    : [];
  if (process.env.JAVA_HOME) candidates.unshift(process.env.JAVA_HOME);
  for (const home of candidates) {
    const java = path.join(home, 'bin', 'java');
    if (!existsSync(java)) continue;
    const out = spawnSync(java, ['-version'], { encoding: 'utf8' }).stderr ?? '';
    const m = /version "(\d+)/.exec(out);
    if (m && Number(m[1]) >= minMajor) return home;
  }
  throw new Error(`No JDK ${minMajor}+ found: install one or set ${variable} to its home`);
}

function pidFile(name: string): string {
  return path.join(stackDir, name, 'pid');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid we recorded for a server, if that process still runs and is still ours. */
function runningPid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8'));
  if (!Number.isInteger(pid) || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(stackDir)) return undefined;
  } catch {
    // No /proc (macOS): trust the pid file.
  }
  return pid;
}

function launch(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): number {
  const log = openSync(path.join(stackDir, name, 'server.log'), 'a');
  const child = spawn(cmd, args, {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  if (child.pid === undefined)
    throw new Error(`${name} did not start; see ${path.join(stackDir, name, 'server.log')}`);
  writeFileSync(pidFile(name), String(child.pid));
  return child.pid;
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok;
  } catch {
    return false;
  }
}

const kafka: Server = {
  name: 'kafka',
  port: ports.kafka,
  endpoint: localEndpoints.kafkaBrokers,
  async ready() {
    const { Kafka, logLevel } = await import('kafkajs');
    const admin = new Kafka({
      brokers: [localEndpoints.kafkaBrokers],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.length > 0;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => {});
    }
  },
  install() {
    const libs = path.join(distDir, `kafka-${VERSIONS.kafka}`);
    if (existsSync(path.join(libs, `kafka_2.13-${VERSIONS.kafka}.jar`))) return;
    mvn([
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-Dkafka.version=${VERSIONS.kafka}`,
      `-DoutputDirectory=${libs}`,
    ]);
  },
  start() {
    const dir = path.join(stackDir, 'kafka');
    const data = path.join(dir, 'data');
    const config = path.join(dir, 'server.properties');
    const classpath = path.join(distDir, `kafka-${VERSIONS.kafka}`, '*');
    const java = path.join(javaHome('JAVA_HOME', 17), 'bin', 'java');
    writeFileSync(
      config,
      [
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.bootstrap.servers=127.0.0.1:${ports.controller}`,
        `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.controller}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        `log.dirs=${data}`,
        'num.partitions=3',
        'offsets.topic.replication.factor=1',
        'offsets.topic.num.partitions=3',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        'group.initial.rebalance.delay.ms=0',
        // The product creates its topics itself; a typo must not silently make a new one.
        'auto.create.topics.enable=false',
        'message.max.bytes=16777216',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'log4j2.properties'),
      [
        'rootLogger.level=WARN',
        'rootLogger.appenderRef.out.ref=out',
        'appender.out.type=Console',
        'appender.out.name=out',
        'appender.out.layout.type=PatternLayout',
        'appender.out.layout.pattern=[%d] %p %m (%c)%n',
        '',
      ].join('\n'),
    );
    const jvm = [
      '-Xms256m',
      '-Xmx768m',
      `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
      '-cp',
      classpath,
    ];
    if (!existsSync(path.join(data, 'meta.properties'))) {
      const clusterId = run(java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid']).trim();
      run(java, [...jvm, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', config]);
    }
    return launch('kafka', java, [...jvm, 'kafka.Kafka', config], {}, dir);
  },
};

const registry: Server = {
  name: 'registry',
  port: ports.registry,
  endpoint: localEndpoints.schemaRegistryUrl,
  ready: () => httpOk(`${localEndpoints.schemaRegistryUrl}/subjects`),
  install() {
    const home = path.join(distDir, `apicurio-registry-${VERSIONS.apicurio}`);
    if (existsSync(path.join(home, 'quarkus-run.jar'))) return;
    const artifact = `io.apicurio:apicurio-registry-app:${VERSIONS.apicurio}:tar.gz:all`;
    mvn(['dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${distDir}`]);
    const archive = path.join(distDir, `apicurio-registry-app-${VERSIONS.apicurio}-all.tar.gz`);
    mkdirSync(home, { recursive: true });
    run('tar', ['xzf', archive, '-C', home]);
    rmSync(archive);
  },
  start() {
    const dir = path.join(stackDir, 'registry');
    const java = path.join(javaHome('REGISTRY_JAVA_HOME', 21), 'bin', 'java');
    const home = path.join(distDir, `apicurio-registry-${VERSIONS.apicurio}`);
    // H2 on disk, so schema ids survive a restart of the stack like the Kafka records that carry them.
    const args = [
      '-Xms128m',
      '-Xmx512m',
      `-Dquarkus.http.port=${ports.registry}`,
      '-Dquarkus.http.host=127.0.0.1',
      // Its management interface (health, metrics) would otherwise listen on 0.0.0.0:9000.
      '-Dquarkus.management.host=127.0.0.1',
      `-Dquarkus.management.port=${ports.registryManagement}`,
      '-Dapicurio.storage.kind=sql',
      '-Dapicurio.storage.sql.kind=h2',
      `-Dapicurio.datasource.url=jdbc:h2:file:${path.join(dir, 'data', 'registry')}`,
      '-Dapicurio.datasource.username=sa',
      '-Dapicurio.datasource.password=sa',
      '-Dquarkus.log.level=WARN',
      `-Dcks.stack=${stackDir}`,
      '-jar',
      path.join(home, 'quarkus-run.jar'),
    ];
    return launch('registry', java, args, {}, dir);
  },
};

/** Elasticsearch refuses to run as root: when we are root it runs as a dedicated user. */
function esRunAs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (spawnSync('id', [ES_USER]).status !== 0)
    run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', ES_USER]);
  return ES_USER;
}

const elasticsearch: Server = {
  name: 'elasticsearch',
  port: ports.elasticsearch,
  endpoint: localEndpoints.elasticsearchUrl,
  ready: () => httpOk(`${localEndpoints.elasticsearchUrl}/_cluster/health?wait_for_status=yellow&timeout=1s`),
  install() {
    const home = path.join(distDir, `elasticsearch-${VERSIONS.elasticsearch}`);
    if (existsSync(path.join(home, 'bin', 'elasticsearch'))) return;
    const artifact = `org.elasticsearch.distribution.integ-test-zip:elasticsearch:${VERSIONS.elasticsearch}:zip`;
    mvn(['dependency:copy', `-Dartifact=${artifact}`, `-DoutputDirectory=${distDir}`]);
    const archive = path.join(distDir, `elasticsearch-${VERSIONS.elasticsearch}.zip`);
    run('unzip', ['-q', '-o', archive, '-d', distDir]);
    rmSync(archive);
  },
  start() {
    const dir = path.join(stackDir, 'elasticsearch');
    const home = path.join(distDir, `elasticsearch-${VERSIONS.elasticsearch}`);
    const config = path.join(dir, 'config');
    mkdirSync(path.join(dir, 'data'), { recursive: true });
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    mkdirSync(config, { recursive: true });
    for (const f of readdirSync(path.join(home, 'config'))) {
      if (f !== 'elasticsearch.yml' && !existsSync(path.join(config, f))) {
        run('cp', ['-r', path.join(home, 'config', f), config]);
      }
    }
    writeFileSync(
      path.join(config, 'elasticsearch.yml'),
      [
        'cluster.name: cks-local',
        'node.name: cks-local-1',
        'network.host: 127.0.0.1',
        `http.port: ${ports.elasticsearch}`,
        'transport.port: 0',
        'discovery.type: single-node',
        `path.data: ${path.join(dir, 'data')}`,
        `path.logs: ${path.join(dir, 'logs')}`,
        'xpack.security.enabled: false',
        'xpack.ml.enabled: false',
        'action.destructive_requires_name: false',
        // Small absolute watermarks: a nearly full developer disk should not block a test index.
        'cluster.routing.allocation.disk.watermark.low: 1gb',
        'cluster.routing.allocation.disk.watermark.high: 500mb',
        'cluster.routing.allocation.disk.watermark.flood_stage: 200mb',
        '',
      ].join('\n'),
    );
    const env = {
      ES_JAVA_HOME: javaHome('ES_JAVA_HOME', 17),
      ES_PATH_CONF: config,
      ES_JAVA_OPTS: '-Xms1g -Xmx1g',
    };
    const user = esRunAs();
    if (user) {
      run('chown', ['-R', `${user}:`, dir]);
      chmodSync(home, 0o755);
      try {
        accessSync(home, constants.R_OK);
      } catch {
        throw new Error(
          `Elasticsearch's user ${user} cannot read ${home}; set STACK_DIR to a folder every user can read`,
        );
      }
      const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      return launch(
        'elasticsearch',
        'runuser',
        ['-u', user, '--', 'env', ...envArgs, path.join(home, 'bin', 'elasticsearch')],
        {},
        dir,
      );
    }
    return launch('elasticsearch', path.join(home, 'bin', 'elasticsearch'), [], env, dir);
  },
};

const servers: Server[] = [kafka, registry, elasticsearch];

async function waitReady(server: Server, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await server.ready()) return;
    if (!alive(pid)) {
      const log = path.join(stackDir, server.name, 'server.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').slice(-3000) : '';
      throw new Error(`${server.name} exited while starting; last lines of ${log}:\n${tail}`);
    }
    await sleep(500);
  }
  throw new Error(
    `${server.name} did not answer on ${server.endpoint} within ${timeoutMs / 1000}s; see ${path.join(stackDir, server.name, 'server.log')}`,
  );
}

/** Starts whatever is not running yet and waits until every server answers; says which it started. */
export async function stackUp(
  log: (line: string) => void = console.log,
): Promise<{ endpoints: StackEndpoints; startedNow: string[] }> {
  const started: Array<{ server: Server; pid: number }> = []; // ours, whether just started or already up
  const startedNow: string[] = [];
  for (const server of servers) {
    mkdirSync(path.join(stackDir, server.name), { recursive: true });
    const pid = runningPid(server.name);
    if (pid !== undefined) {
      started.push({ server, pid });
      continue;
    }
    if (await server.ready()) {
      throw new Error(
        `Port ${server.port} already answers as ${server.name} but it is not this stack's; stop it or set STACK_${server.name.toUpperCase()}_PORT`,
      );
    }
    log(`${server.name}: installing (first run downloads from Maven Central)`);
    server.install();
    log(`${server.name}: starting`);
    started.push({ server, pid: server.start() });
    startedNow.push(server.name);
  }
  // The servers boot in parallel; waiting is what takes the time (and is instant when already up).
  await Promise.all(started.map(({ server, pid }) => waitReady(server, pid, 180_000)));
  for (const server of servers) log(`${server.name.padEnd(13)} ${server.endpoint}`);
  return { endpoints: localEndpoints, startedNow };
}

/** Stops exactly the processes this stack started (by their recorded pids). */
export async function stackDown(log: (line: string) => void = console.log): Promise<void> {
  for (const server of servers) {
    const pid = runningPid(server.name);
    if (pid === undefined) {
      log(`${server.name}: not running`);
      continue;
    }
    process.kill(-pid, 'SIGTERM');
    const deadline = Date.now() + 30_000;
    while (alive(pid) && Date.now() < deadline) await sleep(200);
    if (alive(pid)) process.kill(-pid, 'SIGKILL');
    rmSync(pidFile(server.name), { force: true });
    log(`${server.name}: stopped (pid ${pid})`);
  }
}

export async function stackStatus(log: (line: string) => void = console.log): Promise<boolean> {
  let allUp = true;
  for (const server of servers) {
    const pid = runningPid(server.name);
    const answering = pid !== undefined && (await server.ready());
    allUp &&= answering;
    const state =
      pid === undefined ? 'stopped' : answering ? `running (pid ${pid})` : `starting or stuck (pid ${pid})`;
    log(`${server.name.padEnd(13)} ${state.padEnd(26)} ${server.endpoint}`);
  }
  log(`data: ${stackDir}`);
  return allUp;
}
