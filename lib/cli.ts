// The CLI edge: the one place where any error becomes a message, a hint and an exit code, with
// secrets scrubbed from whatever is printed (crash output included). Errors say what happened (lib/errors.ts);
// what an operator should do about it is decided here, by what the error is, not by where it was caught.
import {
  ExitCode,
  InfraCode,
  InfraError,
  UserError,
  type BrokerUnreachableError,
  type ElasticsearchRefusedError,
  type KafkaNotAuthorizedError,
  type RegistryRefusedError,
  type SchemaIncompatibleError,
  type TlsUntrustedError,
} from './errors.ts';
import { scrub } from './secrets.ts';

export interface Explained {
  message: string;
  hint?: string;
  exitCode: ExitCode;
}

const localStack = 'Start the local stack with `npm run stack -- up`';

/** Message, hint and exit code for each kind of infrastructure failure. */
const explainers: { [C in InfraCode]: (err: never) => Omit<Explained, 'message'> } = {
  [InfraCode.brokerUnreachable]: (err: BrokerUnreachableError) => ({
    exitCode: ExitCode.network,
    hint:
      err.protocol === 'PLAINTEXT'
        ? `${localStack}, or set KAFKA_BROKERS to your brokers (and KAFKA_SECURITY_PROTOCOL if they need TLS or SASL).`
        : 'Check KAFKA_BROKERS, and that KAFKA_SECURITY_PROTOCOL matches the listener behind those ports.',
  }),
  [InfraCode.kafkaLoginRejected]: () => ({
    exitCode: ExitCode.auth,
    hint: 'Check KAFKA_SASL_USERNAME and the password in KAFKA_SASL_PASSWORD_FILE, and that KAFKA_SASL_MECHANISM is one the brokers enable for this user.',
  }),
  [InfraCode.kafkaNotAuthorized]: (err: KafkaNotAuthorizedError) => ({
    exitCode: ExitCode.auth,
    hint:
      err.resource === 'group'
        ? "Grant this principal READ on the stage's consumer group (TRANSFORMER_GROUP_ID, INDEXER_GROUP_ID), or use a group it may read."
        : err.resource === 'cluster'
          ? 'Creating topics needs CREATE on the cluster: grant it, or create the topics beforehand (see docs/configuration.md for their names and settings).'
          : 'Grant this principal READ, WRITE and DESCRIBE on the topics named by TOPIC_RAW_PAGES, TOPIC_HTML_PAGES, TOPIC_DEAD_LETTER, TOPIC_RUNS and TOPIC_LATEST_PAGES.',
  }),
  [InfraCode.registryUnreachable]: () => ({
    exitCode: ExitCode.network,
    hint: `${localStack}, or set SCHEMA_REGISTRY_URL to a Confluent-compatible registry.`,
  }),
  [InfraCode.registryRefused]: (err: RegistryRefusedError) => ({
    exitCode: ExitCode.auth,
    hint: err.username
      ? `Check SCHEMA_REGISTRY_USERNAME=${err.username} and the password in SCHEMA_REGISTRY_PASSWORD_FILE (for Confluent Cloud: the Schema Registry API key and secret), and that this user may write subjects.`
      : 'The registry needs credentials: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE.',
  }),
  [InfraCode.schemaIncompatible]: (err: SchemaIncompatibleError) => ({
    exitCode: ExitCode.failure,
    hint: `Subject ${err.subject} holds a schema ours cannot follow under its compatibility rule (another product, or an older version, on the same topic names?). Give this deployment its own TOPIC_* names, or make the schema change compatible (new fields need defaults).`,
  }),
  [InfraCode.elasticsearchUnreachable]: () => ({
    exitCode: ExitCode.network,
    hint: `${localStack}, or set ELASTICSEARCH_URL (or ELASTICSEARCH_CLOUD_ID) to your cluster.`,
  }),
  [InfraCode.elasticsearchRefused]: (err: ElasticsearchRefusedError) =>
    err.status === 401
      ? {
          exitCode: ExitCode.auth,
          hint:
            err.credentials === 'none'
              ? 'The cluster needs credentials: set ELASTICSEARCH_API_KEY_FILE (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD_FILE).'
              : err.credentials === 'api-key'
                ? 'Check the API key in ELASTICSEARCH_API_KEY_FILE (the encoded key Elasticsearch returned when it was created) and that it is neither expired nor invalidated.'
                : `Check ELASTICSEARCH_USERNAME=${err.credentials.username} and the password in ELASTICSEARCH_PASSWORD_FILE.`,
        }
      : err.status === 403
        ? {
            exitCode: ExitCode.auth,
            hint: 'Give the API key or user the privileges listed in docs/production.md#elasticsearch-privileges (indices under INDEX_PREFIX, index templates).',
          }
        : err.retriable
          ? {
              exitCode: ExitCode.network,
              hint: 'Elasticsearch is overloaded or failing (see its logs and disk watermarks); try again once it recovers.',
            }
          : { exitCode: ExitCode.failure },
  [InfraCode.tlsUntrusted]: (err: TlsUntrustedError) => ({
    exitCode: ExitCode.config,
    hint: {
      kafka:
        "Set KAFKA_SSL_CA_FILE to the PEM file of the CA that signed the brokers' certificates, and list the brokers by the names their certificates carry.",
      registry:
        "Set SCHEMA_REGISTRY_CA_FILE to the PEM file of the CA that signed the registry's certificate.",
      elasticsearch: err.pinned
        ? "ELASTICSEARCH_CA_FINGERPRINT does not match the CA that signed the cluster's certificate: copy the fingerprint Elasticsearch printed at setup, or use ELASTICSEARCH_CA_FILE."
        : "Set ELASTICSEARCH_CA_FILE to the PEM file of the CA that signed the cluster's certificate (Elasticsearch's http_ca.crt), or ELASTICSEARCH_CA_FINGERPRINT to its SHA-256 fingerprint.",
    }[err.service],
  }),
};

/**
 * What a library error that no boundary classified is, judged with this process's own configuration
 * (the addresses it used). Loaded only when needed, so commands start without the clients.
 */
async function classify(err: unknown): Promise<InfraError | undefined> {
  const [{ servicesConfig }, { elasticsearchError }, { kafkaError }, { registryError }] = await Promise.all([
    import('./config.ts'),
    import('./elasticsearch.ts'),
    import('./kafka.ts'),
    import('./registry.ts'),
  ]);
  let cfg;
  try {
    cfg = servicesConfig();
  } catch {
    return undefined;
  }
  return elasticsearchError(cfg, err) ?? kafkaError(cfg, err) ?? registryError(cfg, err);
}

/** Any error as a message, a hint and an exit code. */
export async function explain(err: unknown): Promise<Explained> {
  if (err instanceof UserError)
    return { message: err.message, ...(err.hint ? { hint: err.hint } : {}), exitCode: err.exitCode };
  const infra = err instanceof InfraError ? err : await classify(err).catch(() => undefined);
  if (infra) return { message: infra.message, ...explainers[infra.code](infra as never) };
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return { message: text, exitCode: ExitCode.failure };
}

async function report(err: unknown): Promise<ExitCode> {
  const { message, hint, exitCode } = await explain(err);
  process.stderr.write(scrub(`error: ${message}\n${hint ? `hint: ${hint}\n` : ''}`));
  return exitCode;
}

/** Wraps a command's action: errors become a message, a hint and the right exit code. */
export function action<A extends unknown[]>(
  fn: (...args: A) => Promise<void> | void,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      process.exitCode = await report(err);
    }
  };
}

/** Last-resort handlers so even a crash never prints a secret. */
export function installCrashHandlers(): void {
  const crash = (err: unknown) => {
    void report(err).then(
      (code) => process.exit(code),
      () => process.exit(ExitCode.failure),
    );
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
}

/** True when a person is watching: progress bars then, periodic log lines otherwise. */
export function interactive(): boolean {
  return Boolean(process.stderr.isTTY) && process.env.CI !== 'true';
}
