// The Elasticsearch client is made here (the official client, same major as the server: 8.x), with the
// cluster's address (URL or Elastic Cloud id), credentials (API key or user/password) and trust (CA file or
// CA fingerprint) from lib/connections.ts; and the one translation of its auth and TLS failures.
import { Client, errors } from '@elastic/elasticsearch';
import type { ServicesConfig } from './config.ts';
import { isTlsTrustFailure } from './connections.ts';
import { ExitCode, UserError } from './errors.ts';

export type { Client as Elasticsearch } from '@elastic/elasticsearch';

export function createElasticsearch(cfg: ServicesConfig): Client {
  const { node, cloudId, auth, ca, caFingerprint } = cfg.elasticsearch;
  return new Client({
    ...(cloudId ? { cloud: { id: cloudId } } : { node: node! }),
    ...(auth ? { auth } : {}),
    // A fingerprint pins the CA instead of trusting it through the system store (the client checks it).
    ...(ca ? { tls: { ca } } : caFingerprint ? { caFingerprint, tls: { rejectUnauthorized: false } } : {}),
    requestTimeout: 60_000,
    maxRetries: 3,
  });
}

/**
 * A rejected login or an untrusted certificate, as a message that names the setting to fix; undefined
 * for anything else (an unreachable cluster is waited out by the services, reported by the CLI).
 */
export function elasticsearchAccessProblem(cfg: ServicesConfig, err: unknown): UserError | undefined {
  const where = `Elasticsearch at ${cfg.elasticsearchUrl}`;
  const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
  const auth = cfg.elasticsearch.auth;
  if (status === 401) {
    return new UserError(`${where} refused our credentials (HTTP 401)`, {
      exitCode: ExitCode.auth,
      hint: !auth
        ? 'The cluster needs credentials: set ELASTICSEARCH_API_KEY_FILE (or ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD_FILE).'
        : 'apiKey' in auth
          ? 'Check the API key in ELASTICSEARCH_API_KEY_FILE (the encoded key Elasticsearch returned when it was created) and that it is neither expired nor invalidated.'
          : `Check ELASTICSEARCH_USERNAME=${auth.username} and the password in ELASTICSEARCH_PASSWORD_FILE.`,
      cause: err,
    });
  }
  if (status === 403) {
    return new UserError(
      `${where} accepted our credentials but refused the request (HTTP 403): ${(err as Error).message}`,
      {
        exitCode: ExitCode.auth,
        hint: 'Give the API key or user the privileges listed in docs/deployment.md#elasticsearch-privileges (indices under INDEX_PREFIX, index templates).',
        cause: err,
      },
    );
  }
  if (isTlsTrustFailure(err)) {
    return new UserError(`${where} presented a TLS certificate we do not trust: ${(err as Error).message}`, {
      exitCode: ExitCode.config,
      hint: cfg.elasticsearch.caFingerprint
        ? "ELASTICSEARCH_CA_FINGERPRINT does not match the CA that signed the cluster's certificate: copy the fingerprint Elasticsearch printed at setup, or use ELASTICSEARCH_CA_FILE."
        : "Set ELASTICSEARCH_CA_FILE to the PEM file of the CA that signed the cluster's certificate (Elasticsearch's http_ca.crt), or ELASTICSEARCH_CA_FINGERPRINT to its SHA-256 fingerprint.",
      cause: err,
    });
  }
  return undefined;
}

/**
 * One request at start, so wrong credentials or trust fail the service at once instead of being waited
 * out like an outage; a cluster that is merely unreachable is left to the caller's wait policy.
 */
export async function verifyElasticsearch(es: Client, cfg: ServicesConfig): Promise<void> {
  try {
    // Needs no privilege beyond a valid login; a cluster without security answers it with an error we ignore.
    await es.security.authenticate(undefined, { maxRetries: 0, requestTimeout: 10_000 });
  } catch (err) {
    const problem = elasticsearchAccessProblem(cfg, err);
    if (problem && (err as { statusCode?: number }).statusCode !== 403) throw problem;
  }
}

/** A /readyz check: Elasticsearch answers (a refusal for lack of privilege is still an answer). */
export async function elasticsearchAnswers(es: Client): Promise<void> {
  try {
    await es.ping(undefined, { maxRetries: 0, requestTimeout: 2_000 });
  } catch (err) {
    const status = err instanceof errors.ResponseError ? err.statusCode : undefined;
    if (status === undefined || status >= 500 || status === 401) throw err;
  }
}
