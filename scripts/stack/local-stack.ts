// The local stack: real Kafka (KRaft), Apicurio Registry and Elasticsearch as JVM processes, for
// machines without a Docker engine. Artifacts come from Maven Central through `mvn` (cached in the
// local Maven repository); everything the servers write lives under the git-ignored stack folder.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
  chmodSync,
  accessSync,
  constants,
} from 'node:fs';
import path from 'node:path';
import { KAFKA_VERSION, kafkaAnswers, kafkaServer } from './kafka.ts';
import {
  distDir,
  httpOk,
  javaHome,
  launch,
  mvn,
  port,
  run,
  serverPidFile,
  serversStatus,
  stackDir,
  startServers,
  stopServers,
  type Server,
} from './processes.ts';

export const VERSIONS = { kafka: KAFKA_VERSION, apicurio: '3.3.3', elasticsearch: '8.19.21' } as const;

export interface StackEndpoints {
  kafkaBrokers: string;
  schemaRegistryUrl: string;
  elasticsearchUrl: string;
}

const ES_USER = 'cks-elasticsearch';

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

const kafka: Server = kafkaServer({
  name: 'kafka',
  port: ports.kafka,
  portVariable: 'STACK_KAFKA_PORT',
  controllerPort: ports.controller,
  endpoint: localEndpoints.kafkaBrokers,
  listenerConfig: [
    `listeners=PLAINTEXT://127.0.0.1:${ports.kafka},CONTROLLER://127.0.0.1:${ports.controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${ports.kafka}`,
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
  ],
  heapMb: 768,
  ready: () => kafkaAnswers({ brokers: [localEndpoints.kafkaBrokers] }),
});

const registry: Server = {
  name: 'registry',
  port: ports.registry,
  portVariable: 'STACK_REGISTRY_PORT',
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
  portVariable: 'STACK_ELASTICSEARCH_PORT',
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
    // The server JVM writes its own pid: the wrapper we launch (runuser, the launcher JVM) may die alone.
    const pidArgs = ['-p', serverPidFile('elasticsearch')];
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
        ['-u', user, '--', 'env', ...envArgs, path.join(home, 'bin', 'elasticsearch'), ...pidArgs],
        {},
        dir,
      );
    }
    return launch('elasticsearch', path.join(home, 'bin', 'elasticsearch'), pidArgs, env, dir);
  },
};

const servers: Server[] = [kafka, registry, elasticsearch];

/** Starts whatever is not running yet and waits until every server answers; says which it started. */
export async function stackUp(
  log: (line: string) => void = console.log,
): Promise<{ endpoints: StackEndpoints; startedNow: string[] }> {
  const startedNow = await startServers(servers, log);
  return { endpoints: localEndpoints, startedNow };
}

/** Stops exactly the processes this stack started (by their recorded pids). */
export const stackDown = (log: (line: string) => void = console.log) => stopServers(servers, log);

/** True when a plain stack answers on the configured ports, whichever checkout started it. */
export async function plainStackAnswers(): Promise<boolean> {
  return (await Promise.all(servers.map((s) => s.ready()))).every(Boolean);
}

export const stackStatus = (log: (line: string) => void = console.log) => serversStatus(servers, log);
