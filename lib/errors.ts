// Errors a person can act on: what happened, and what to do. The CLI prints `message` and `hint`
// and exits with `exitCode`, so scripts can tell a config mistake from an auth or network failure.

export const ExitCode = {
  ok: 0,
  failure: 1,
  config: 2,
  auth: 3,
  network: 4,
  runFailed: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class UserError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  constructor(message: string, opts: { exitCode?: ExitCode; hint?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'UserError';
    this.exitCode = opts.exitCode ?? ExitCode.failure;
    this.hint = opts.hint;
  }
}

export class ConfigError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { exitCode: ExitCode.config, ...(hint ? { hint } : {}) });
    this.name = 'ConfigError';
  }
}

/**
 * A failure of Kafka, the schema registry or Elasticsearch, by what it is rather than where it was
 * caught. One root, a stable `code` per kind (scripts and tests match on it, never on the message),
 * and `retriable`: true when waiting and trying again can succeed (an outage, an overloaded
 * cluster), false when a person has to change something (credentials, ACLs, trust, a schema).
 * The errors carry facts only; what to tell an operator is decided once, at the CLI (lib/cli.ts).
 */
export abstract class InfraError extends Error {
  abstract readonly code: InfraCode;
  abstract readonly retriable: boolean;
  /** Which service, and its address as configured (safe to print). */
  readonly service: 'kafka' | 'registry' | 'elasticsearch';
  readonly where: string;
  constructor(service: InfraError['service'], where: string, message: string, cause: unknown) {
    super(message, { cause });
    this.service = service;
    this.where = where;
    this.name = new.target.name;
  }
}

export const InfraCode = {
  brokerUnreachable: 'CKS_KAFKA_UNREACHABLE',
  kafkaLoginRejected: 'CKS_KAFKA_LOGIN_REJECTED',
  kafkaNotAuthorized: 'CKS_KAFKA_NOT_AUTHORIZED',
  registryUnreachable: 'CKS_REGISTRY_UNREACHABLE',
  registryRefused: 'CKS_REGISTRY_REFUSED',
  schemaIncompatible: 'CKS_SCHEMA_INCOMPATIBLE',
  elasticsearchUnreachable: 'CKS_ES_UNREACHABLE',
  elasticsearchRefused: 'CKS_ES_REFUSED',
  tlsUntrusted: 'CKS_TLS_UNTRUSTED',
} as const;
export type InfraCode = (typeof InfraCode)[keyof typeof InfraCode];

/** No broker answered (refused, timed out, closed, DNS), after the client's own retries. */
export class BrokerUnreachableError extends InfraError {
  readonly code = InfraCode.brokerUnreachable;
  readonly retriable = true;
  readonly protocol: string;
  constructor(where: string, protocol: string, cause: unknown) {
    super('kafka', where, `Kafka is not reachable at ${where} (${protocol}): ${reasonOf(cause)}`, cause);
    this.protocol = protocol;
  }
}

/** The brokers answered and rejected the SASL login. */
export class KafkaLoginRejectedError extends InfraError {
  readonly code = InfraCode.kafkaLoginRejected;
  readonly retriable = false;
  readonly mechanism: string;
  /** Who we said we were: `KAFKA_SASL_USERNAME=…` or the OAUTHBEARER token file. */
  readonly principal: string;
  constructor(where: string, mechanism: string, principal: string, cause: unknown) {
    super(
      'kafka',
      where,
      `Kafka at ${where} rejected the SASL login (${mechanism}, ${principal}): ${reasonOf(cause)}`,
      cause,
    );
    this.mechanism = mechanism;
    this.principal = principal;
  }
}

/** Logged in, but an ACL refuses this principal a topic, the consumer group or the cluster operation. */
export class KafkaNotAuthorizedError extends InfraError {
  readonly code = InfraCode.kafkaNotAuthorized;
  readonly retriable = false;
  readonly resource: 'topic' | 'group' | 'cluster' | 'transactional-id';
  /** The topic or group named by the request, when the client says which. */
  readonly names: string[];
  constructor(where: string, resource: KafkaNotAuthorizedError['resource'], names: string[], cause: unknown) {
    const what = names.length > 0 ? `${resource} ${names.join(', ')}` : `a ${resource} operation`;
    super('kafka', where, `Kafka at ${where} does not authorize us for ${what}: ${reasonOf(cause)}`, cause);
    this.resource = resource;
    this.names = names;
  }
}

/** The registry did not answer, or answered 5xx. */
export class RegistryUnreachableError extends InfraError {
  readonly code = InfraCode.registryUnreachable;
  readonly retriable = true;
  constructor(where: string, cause: unknown) {
    super('registry', where, `The schema registry is not reachable at ${where}: ${reasonOf(cause)}`, cause);
  }
}

/** The registry refused our credentials (401) or this user may not write the subject (403). */
export class RegistryRefusedError extends InfraError {
  readonly code = InfraCode.registryRefused;
  readonly retriable = false;
  readonly status: number;
  /** The basic-auth user we sent, if any. */
  readonly username: string | undefined;
  constructor(where: string, status: number, username: string | undefined, cause: unknown) {
    const what = status === 401 ? 'our credentials' : 'the request';
    super('registry', where, `The schema registry at ${where} refused ${what} (HTTP ${status})`, cause);
    this.status = status;
    this.username = username;
  }
}

/** The subject's compatibility rule rejects our schema (HTTP 409). */
export class SchemaIncompatibleError extends InfraError {
  readonly code = InfraCode.schemaIncompatible;
  readonly retriable = false;
  readonly subject: string;
  constructor(where: string, subject: string, cause: unknown) {
    super(
      'registry',
      where,
      `The schema registry at ${where} rejects our schema for ${subject} as incompatible with the registered one: ${reasonOf(cause)}`,
      cause,
    );
    this.subject = subject;
  }
}

/** No answer from Elasticsearch: refused, timed out, no living connection. */
export class ElasticsearchUnreachableError extends InfraError {
  readonly code = InfraCode.elasticsearchUnreachable;
  readonly retriable = true;
  constructor(where: string, cause: unknown) {
    super('elasticsearch', where, `Elasticsearch is not reachable at ${where}: ${reasonOf(cause)}`, cause);
  }
}

/** Elasticsearch answered with an error status: 429 and 5xx pass (retriable), anything else is ours to fix. */
export class ElasticsearchRefusedError extends InfraError {
  readonly code = InfraCode.elasticsearchRefused;
  readonly retriable: boolean;
  readonly status: number;
  /** Elasticsearch's error type, e.g. security_exception, index_not_found_exception. */
  readonly type: string | undefined;
  /** What we authenticated with. */
  readonly credentials: 'none' | 'api-key' | { username: string };
  constructor(
    where: string,
    status: number,
    type: string | undefined,
    credentials: ElasticsearchRefusedError['credentials'],
    cause: unknown,
  ) {
    const what =
      status === 401
        ? 'refused our credentials'
        : status === 403
          ? 'accepted our credentials but refused the request'
          : 'refused the request';
    super(
      'elasticsearch',
      where,
      `Elasticsearch at ${where} ${what} (HTTP ${status}): ${reasonOf(cause)}`,
      cause,
    );
    this.status = status;
    this.type = type;
    this.credentials = credentials;
    this.retriable = status === 429 || status >= 500;
  }
}

/** The server's TLS certificate is not trusted by the CA we were given (or the pinned fingerprint). */
export class TlsUntrustedError extends InfraError {
  readonly code = InfraCode.tlsUntrusted;
  readonly retriable = false;
  /** True when trust is pinned by a CA fingerprint rather than a CA file. */
  readonly pinned: boolean;
  constructor(service: InfraError['service'], where: string, pinned: boolean, cause: unknown) {
    const who = { kafka: 'Kafka', registry: 'The schema registry', elasticsearch: 'Elasticsearch' }[service];
    super(
      service,
      where,
      `${who} at ${where} presented a TLS certificate we do not trust: ${reasonOf(cause)}`,
      cause,
    );
    this.pinned = pinned;
  }
}

function reasonOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}

/** True when waiting and trying again can succeed; false for everything else, unknown errors included. */
export function isRetriable(err: unknown): boolean {
  return err instanceof InfraError && err.retriable;
}
