// The Elasticsearch client is made here (the official client, same major as the server: 8.x), with the
// cluster's address (URL or Elastic Cloud id), credentials (API key or user/password) and trust (CA file or
// CA fingerprint) from lib/connections.ts; and what its failures are (lib/errors.ts).
import { Client, errors } from '@elastic/elasticsearch';
import type { ServicesConfig } from './config.ts';
import { isTlsTrustFailure } from './connections.ts';
import {
  ElasticsearchRefusedError,
  ElasticsearchUnreachableError,
  InfraError,
  TlsUntrustedError,
} from './errors.ts';

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
 * What an Elasticsearch failure is, from the client's own error classes: an untrusted certificate, no
 * answer (connection, timeout, no living connection), or an error status (401 and 403 included).
 * Undefined for anything else (a bad request we built, a serialization bug). Without `cfg` (code that
 * holds only a client), the error names no address or credentials but is classified the same.
 */
export function elasticsearchError(cfg: ServicesConfig | undefined, err: unknown): InfraError | undefined {
  if (err instanceof InfraError) return err;
  if (!(err instanceof errors.ElasticsearchClientError)) return undefined;
  const where = cfg?.elasticsearchUrl ?? 'the configured address';
  if (isTlsTrustFailure(err))
    return new TlsUntrustedError('elasticsearch', where, Boolean(cfg?.elasticsearch.caFingerprint), err);
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError
  )
    return new ElasticsearchUnreachableError(where, err);
  if (err instanceof errors.ResponseError) {
    const auth = cfg?.elasticsearch.auth;
    const credentials = !auth ? 'none' : 'apiKey' in auth ? 'api-key' : { username: auth.username };
    const type = (err.body as { error?: { type?: string } } | undefined)?.error?.type;
    return new ElasticsearchRefusedError(where, err.statusCode ?? 0, type, credentials, err);
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
    const problem = elasticsearchError(cfg, err);
    if (problem instanceof TlsUntrustedError) throw problem;
    if (problem instanceof ElasticsearchRefusedError && problem.status === 401) throw problem;
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
