// A one-node KRaft Kafka of the local stack (broker and controller in one JVM), from Maven Central.
// The plain stack runs one on PLAINTEXT; the secured stack runs another with SASL_SSL and mTLS listeners.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { KafkaConfig } from 'kafkajs';
import { distDir, javaHome, launch, mvn, run, stackDir, type Server } from './processes.ts';

export const KAFKA_VERSION = '4.1.1';

export interface KafkaOptions {
  name: string;
  /** The port clients use (the first listener), for status lines and the port check. */
  port: number;
  portVariable: string;
  controllerPort: number;
  endpoint: string;
  /** Listener lines (listeners, advertised.listeners, protocol map, SASL and TLS settings). */
  listenerConfig: string[];
  /** Extra arguments of `StorageTool format` (SCRAM credentials live in the metadata log). */
  formatArgs?: string[];
  heapMb: number;
  ready(): Promise<boolean>;
}

function install(): void {
  const libs = path.join(distDir, `kafka-${KAFKA_VERSION}`);
  if (existsSync(path.join(libs, `kafka_2.13-${KAFKA_VERSION}.jar`))) return;
  mvn([
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-Dkafka.version=${KAFKA_VERSION}`,
    `-DoutputDirectory=${libs}`,
  ]);
}

export function kafkaServer(o: KafkaOptions): Server {
  return {
    name: o.name,
    port: o.port,
    portVariable: o.portVariable,
    endpoint: o.endpoint,
    ready: o.ready,
    install,
    start() {
      const dir = path.join(stackDir, o.name);
      const data = path.join(dir, 'data');
      const config = path.join(dir, 'server.properties');
      const classpath = path.join(distDir, `kafka-${KAFKA_VERSION}`, '*');
      const java = path.join(javaHome('JAVA_HOME', 17), 'bin', 'java');
      writeFileSync(
        config,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.bootstrap.servers=127.0.0.1:${o.controllerPort}`,
          'controller.listener.names=CONTROLLER',
          ...o.listenerConfig,
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
        { mode: 0o600 },
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
        `-Xmx${o.heapMb}m`,
        `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.properties')}`,
        '-cp',
        classpath,
      ];
      if (!existsSync(path.join(data, 'meta.properties'))) {
        const clusterId = run(java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid']).trim();
        run(java, [
          ...jvm,
          'kafka.tools.StorageTool',
          'format',
          '--standalone',
          '-t',
          clusterId,
          '-c',
          config,
          ...(o.formatArgs ?? []),
        ]);
      }
      return launch(o.name, java, [...jvm, 'kafka.Kafka', config], {}, dir);
    },
  };
}

/** True when a broker answers a metadata request with these client settings (no retries: a probe). */
export async function kafkaAnswers(
  settings: Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>,
): Promise<boolean> {
  const { Kafka, logLevel } = await import('kafkajs');
  const admin = new Kafka({ ...settings, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
