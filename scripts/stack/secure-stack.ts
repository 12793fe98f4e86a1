// The secured local stack (`npm run stack -- up --secure`): what the product meets on real clusters,
// on other ports next to the plain stack. A private CA made with openssl signs every certificate;
//   Kafka          a second KRaft node: SASL_SSL (SCRAM-SHA-256/512, PLAIN) and an SSL listener that
//                  requires client certificates (mTLS); SCRAM users are written at format time
//   registry, ES   TLS and authentication by auth-proxy.ts in front of the plain stack's servers
//                  (basic auth; Elasticsearch API key or basic auth), since those builds cannot do it here
// Credentials are random, made once, kept as files (mode 0600) beside an env file that points at them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProxyConfig } from './auth-proxy.ts';
import { kafkaAnswers, kafkaServer } from './kafka.ts';
import {
  launch,
  port,
  run,
  runningPid,
  serversStatus,
  stackDir,
  startServers,
  stopServer,
  stopServers,
  type Server,
} from './processes.ts';

const ports = {
  kafka: port('STACK_SECURE_KAFKA_PORT', 29092),
  kafkaMtls: port('STACK_SECURE_KAFKA_MTLS_PORT', 29094),
  controller: port('STACK_SECURE_KAFKA_CONTROLLER_PORT', 29093),
  registry: port('STACK_SECURE_REGISTRY_PORT', 28081),
  elasticsearch: port('STACK_SECURE_ELASTICSEARCH_PORT', 29200),
};

/** Certificates, keys and secrets of the secured stack. */
export const secureDir = path.join(stackDir, 'secure');
const file = (name: string) => path.join(secureDir, name);
export const secureFiles = {
  ca: file('ca.pem'),
  caKey: file('ca.key'),
  serverCert: file('server.crt'),
  serverKey: file('server.key'),
  /** The server certificate followed by the CA's, as TLS servers send it (a CA fingerprint is checked on it). */
  serverChain: file('server-chain.pem'),
  /** Key and certificate chain in one file, as Kafka's PEM keystore wants them. */
  serverKeystore: file('server-keystore.pem'),
  clientCert: file('client.crt'),
  clientKey: file('client.key'),
  kafkaPassword: file('kafka-password'),
  brokerPassword: file('kafka-broker-password'),
  registryPassword: file('registry-password'),
  elasticsearchApiKey: file('elasticsearch-api-key'),
  elasticsearchPassword: file('elasticsearch-password'),
  env: file('secure.env'),
};
export const secureUsers = { kafka: 'cks', broker: 'broker', registry: 'cks', elasticsearch: 'elastic' };

const writeSecret = (target: string, text: string) => writeFileSync(target, `${text}\n`, { mode: 0o600 });
const readSecretFile = (target: string) => readFileSync(target, 'utf8').trim();

/** A CA, and a key and certificate signed by it: openssl, the tool an operator would use for their own. */
export function makeCertificates(dir: string, opts: { serverNames?: string[]; days?: number } = {}) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const days = String(opts.days ?? 825);
  const at = (n: string) => path.join(dir, n);
  run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', days],
    ...['-keyout', at('ca.key'), '-out', at('ca.pem'), '-subj', '/CN=cks local stack CA'],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
  ]);
  const sign = (name: string, subject: string, ext: string) => {
    writeFileSync(at(`${name}.ext`), ext);
    run('openssl', [
      ...['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at(`${name}.key`), '-out', at(`${name}.csr`)],
      ...['-subj', subject],
    ]);
    run('openssl', [
      ...['x509', '-req', '-in', at(`${name}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key')],
      ...['-CAcreateserial', '-days', days, '-out', at(`${name}.crt`), '-extfile', at(`${name}.ext`)],
    ]);
  };
  const names = opts.serverNames ?? ['localhost'];
  const san = [...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',');
  sign('server', `/CN=${names[0]}`, `subjectAltName=${san}\nextendedKeyUsage=serverAuth,clientAuth\n`);
  sign('client', '/CN=cks', 'extendedKeyUsage=clientAuth\n');
  return {
    ca: at('ca.pem'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
  };
}

/**
 * Makes the CA, certificates and credentials once; later runs reuse them. New ones mean a new Kafka
 * too: its SCRAM users were written into its metadata when its storage was formatted.
 */
async function ensureMaterials(): Promise<void> {
  if (existsSync(secureFiles.env)) return;
  await stopServers(secureServers, () => {});
  rmSync(path.join(stackDir, 'secure-kafka', 'data'), { recursive: true, force: true });
  makeCertificates(secureDir);
  const chain = readFileSync(secureFiles.serverCert, 'utf8') + readFileSync(secureFiles.ca, 'utf8');
  writeFileSync(secureFiles.serverChain, chain);
  writeFileSync(secureFiles.serverKeystore, readFileSync(secureFiles.serverKey, 'utf8') + chain, {
    mode: 0o600,
  });
  const secret = () => randomBytes(18).toString('base64url');
  for (const f of [secureFiles.kafkaPassword, secureFiles.brokerPassword, secureFiles.registryPassword])
    writeSecret(f, secret());
  writeSecret(secureFiles.elasticsearchPassword, secret());
  // An Elasticsearch API key as the cluster hands it out: base64 of "<id>:<key>".
  writeSecret(
    secureFiles.elasticsearchApiKey,
    Buffer.from(`${randomBytes(10).toString('hex')}:${secret()}`).toString('base64'),
  );
  writeSecret(
    secureFiles.env,
    Object.entries(secureEnv())
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
}

/** The product's settings for the secured stack (what `secure.env` holds): every secret as a file. */
export function secureEnv(): Record<string, string> {
  return {
    KAFKA_BROKERS: `localhost:${ports.kafka}`,
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
    KAFKA_SASL_USERNAME: secureUsers.kafka,
    KAFKA_SASL_PASSWORD_FILE: secureFiles.kafkaPassword,
    KAFKA_SSL_CA_FILE: secureFiles.ca,
    SCHEMA_REGISTRY_URL: `https://localhost:${ports.registry}/apis/ccompat/v7`,
    SCHEMA_REGISTRY_USERNAME: secureUsers.registry,
    SCHEMA_REGISTRY_PASSWORD_FILE: secureFiles.registryPassword,
    SCHEMA_REGISTRY_CA_FILE: secureFiles.ca,
    ELASTICSEARCH_URL: `https://localhost:${ports.elasticsearch}`,
    ELASTICSEARCH_API_KEY_FILE: secureFiles.elasticsearchApiKey,
    ELASTICSEARCH_CA_FILE: secureFiles.ca,
  };
}

/** The mTLS listener: client certificate instead of SASL (the principal is the certificate's subject). */
export const mtlsEnv = (): Record<string, string> => ({
  KAFKA_BROKERS: `localhost:${ports.kafkaMtls}`,
  KAFKA_SECURITY_PROTOCOL: 'SSL',
  KAFKA_SSL_CA_FILE: secureFiles.ca,
  KAFKA_SSL_CERT_FILE: secureFiles.clientCert,
  KAFKA_SSL_KEY_FILE: secureFiles.clientKey,
});

const jaas = (module: string, options: string) =>
  `org.apache.kafka.common.security.${module} required ${options};`;

const secureKafka: Server = kafkaServer({
  name: 'secure-kafka',
  port: ports.kafka,
  portVariable: 'STACK_SECURE_KAFKA_PORT',
  controllerPort: ports.controller,
  endpoint: `localhost:${ports.kafka} (SASL_SSL), localhost:${ports.kafkaMtls} (mTLS)`,
  get listenerConfig() {
    const broker = `username="${secureUsers.broker}" password="${readSecretFile(secureFiles.brokerPassword)}"`;
    const plainUsers = `user_${secureUsers.broker}="${readSecretFile(secureFiles.brokerPassword)}" user_${secureUsers.kafka}="${readSecretFile(secureFiles.kafkaPassword)}"`;
    return [
      `listeners=SASL_SSL://127.0.0.1:${ports.kafka},SSL://127.0.0.1:${ports.kafkaMtls},CONTROLLER://127.0.0.1:${ports.controller}`,
      `advertised.listeners=SASL_SSL://localhost:${ports.kafka},SSL://localhost:${ports.kafkaMtls}`,
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL,SSL:SSL',
      'inter.broker.listener.name=SASL_SSL',
      'sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
      'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule', broker)}`,
      `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule', broker)}`,
      `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', `${broker} ${plainUsers}`)}`,
      'ssl.keystore.type=PEM',
      `ssl.keystore.location=${secureFiles.serverKeystore}`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${secureFiles.ca}`,
      'listener.name.ssl.ssl.client.auth=required',
    ];
  },
  get formatArgs() {
    const user = (mech: string, name: string, f: string) => [
      '--add-scram',
      `${mech}=[name=${name},password=${readSecretFile(f)}]`,
    ];
    return [
      ...user('SCRAM-SHA-512', secureUsers.broker, secureFiles.brokerPassword),
      ...user('SCRAM-SHA-512', secureUsers.kafka, secureFiles.kafkaPassword),
      ...user('SCRAM-SHA-256', secureUsers.kafka, secureFiles.kafkaPassword),
    ];
  },
  heapMb: 512,
  ready: () =>
    kafkaAnswers({
      brokers: [`localhost:${ports.kafka}`],
      ssl: { ca: readFileSync(secureFiles.ca, 'utf8') },
      sasl: {
        mechanism: 'scram-sha-512',
        username: secureUsers.kafka,
        password: readSecretFile(secureFiles.kafkaPassword),
      },
    }),
});

const proxyConfigFile = path.join(stackDir, 'secure-proxy', 'config.json');

function proxyConfig(upstream: { schemaRegistryUrl: string; elasticsearchUrl: string }): ProxyConfig {
  return {
    certFile: secureFiles.serverChain,
    keyFile: secureFiles.serverKey,
    fronts: [
      {
        name: 'registry',
        port: ports.registry,
        upstream: new URL(upstream.schemaRegistryUrl).origin,
        credentials: [{ scheme: 'Basic', user: secureUsers.registry, file: secureFiles.registryPassword }],
      },
      {
        name: 'elasticsearch',
        port: ports.elasticsearch,
        upstream: new URL(upstream.elasticsearchUrl).origin,
        credentials: [
          { scheme: 'ApiKey', file: secureFiles.elasticsearchApiKey },
          { scheme: 'Basic', user: secureUsers.elasticsearch, file: secureFiles.elasticsearchPassword },
        ],
      },
    ],
  };
}

/** An authenticated HTTPS request through the proxy, trusting only our CA: does it answer 200? */
function httpsOk(url: string, authorization: string): Promise<boolean> {
  return new Promise((resolve) => {
    const agent = new Agent({ ca: readFileSync(secureFiles.ca, 'utf8') });
    const req = request(url, { agent, headers: { authorization }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

const secureProxy: Server = {
  name: 'secure-proxy',
  port: ports.registry,
  portVariable: 'STACK_SECURE_REGISTRY_PORT',
  endpoint: `https://localhost:${ports.registry} (registry), https://localhost:${ports.elasticsearch} (Elasticsearch)`,
  async ready() {
    if (!existsSync(secureFiles.env)) return false;
    const basic = Buffer.from(`${secureUsers.registry}:${readSecretFile(secureFiles.registryPassword)}`);
    const [registry, es] = await Promise.all([
      httpsOk(
        `https://localhost:${ports.registry}/apis/ccompat/v7/subjects`,
        `Basic ${basic.toString('base64')}`,
      ),
      httpsOk(
        `https://localhost:${ports.elasticsearch}/_cluster/health`,
        `ApiKey ${readSecretFile(secureFiles.elasticsearchApiKey)}`,
      ),
    ]);
    return registry && es;
  },
  start() {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'auth-proxy.ts');
    return launch(
      'secure-proxy',
      process.execPath,
      [script, proxyConfigFile],
      {},
      path.dirname(proxyConfigFile),
    );
  },
};

const secureServers = [secureKafka, secureProxy];

/**
 * Starts the secured Kafka and the TLS/auth proxy in front of `upstream` (the plain stack's registry and
 * Elasticsearch), when not running; returns the product's settings for it.
 */
export async function secureStackUp(
  upstream: { schemaRegistryUrl: string; elasticsearchUrl: string },
  log: (line: string) => void = console.log,
): Promise<Record<string, string>> {
  await ensureMaterials();
  mkdirSync(path.dirname(proxyConfigFile), { recursive: true });
  const config = JSON.stringify(proxyConfig(upstream), null, 2);
  const current = existsSync(proxyConfigFile) ? readFileSync(proxyConfigFile, 'utf8') : '';
  if (config !== current) {
    // Another upstream (another plain stack): the proxy reads its config at start, so restart it.
    if (runningPid('secure-proxy') !== undefined) await stopServer('secure-proxy');
    writeFileSync(proxyConfigFile, config, { mode: 0o600 });
  }
  await startServers(secureServers, log);
  log(`settings: ${secureFiles.env} (set -a; . ${secureFiles.env}; set +a)`);
  return secureEnv();
}

export const secureStackDown = (log: (line: string) => void = console.log) => stopServers(secureServers, log);
export async function secureStackStatus(log: (line: string) => void = console.log): Promise<boolean> {
  const up = await serversStatus(secureServers, log);
  if (existsSync(secureFiles.env)) log(`settings: set -a; . ${secureFiles.env}; set +a`);
  return up;
}
