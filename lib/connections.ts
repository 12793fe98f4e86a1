// How to reach Kafka, the schema registry and Elasticsearch when they are secured: TLS (private CA,
// client certificates), SASL, basic auth, API keys, Elastic Cloud ids. Declared as zod fields that
// lib/config.ts validates together with the addresses, so every problem is reported at once; secrets
// are read from a variable or a file and registered for scrubbing as they are read.
import { z } from 'zod';
import { ConfigError } from './errors.ts';
import { readConfigFile, readSecret, registerBasicAuth, registerSecret } from './secrets.ts';

type Env = Record<string, string | undefined>;

const protocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
const mechanisms = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;

export const connectionShape = {
  KAFKA_SECURITY_PROTOCOL: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(protocols, { message: `must be one of ${protocols.join(', ')}, e.g. SASL_SSL` }))
    .default('PLAINTEXT'),
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((s) => s.toUpperCase())
    .pipe(z.enum(mechanisms, { message: `must be one of ${mechanisms.join(', ')}, e.g. SCRAM-SHA-512` }))
    .optional(),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  SCHEMA_REGISTRY_USERNAME: z.string().min(1).optional(),
  ELASTICSEARCH_USERNAME: z.string().min(1).optional(),
  ELASTICSEARCH_CLOUD_ID: z
    .string()
    .refine((id) => cloudHost(id) !== undefined, {
      message: 'must be the Cloud ID from the Elastic Cloud console, e.g. my-deployment:ZXUtd2VzdC0x…',
    })
    .optional(),
  ELASTICSEARCH_CA_FINGERPRINT: z
    .string()
    .transform((s) => s.replace(/:/g, '').toUpperCase())
    .refine((s) => /^[0-9A-F]{64}$/.test(s), {
      message: 'must be the SHA-256 fingerprint of the CA certificate, 64 hex digits (colons allowed)',
    })
    .optional(),
};
type Parsed = z.infer<z.ZodObject<typeof connectionShape>>;

export type KafkaSasl =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; tokenFile: string };

export interface KafkaSecurity {
  protocol: (typeof protocols)[number];
  /** TLS options (node:tls) when the protocol is SSL or SASL_SSL. */
  tls?: { ca?: string; cert?: string; key?: string; passphrase?: string };
  sasl?: KafkaSasl;
}

export interface RegistryAccess {
  /** The URL without user info, safe to print. */
  url: string;
  auth?: { username: string; password: string };
  ca?: string;
}

export interface ElasticsearchAccess {
  /** Where requests go, safe to print: the URL without user info, or the Cloud ID's endpoint. */
  url: string;
  node?: string;
  cloudId?: string;
  auth?: { apiKey: string } | { username: string; password: string };
  ca?: string;
  caFingerprint?: string;
}

const fail = (lines: string[]): never => {
  throw new ConfigError(
    `Configuration is not valid:\n${lines.map((l) => `  ${l}`).join('\n')}`,
    'Set the variables above in the environment (see docs/production.md#connecting-to-secured-clusters).',
  );
};

/** Splits user info off a URL (registered as secrets); the rest is what may be printed. */
function withoutUserInfo(raw: string): { url: string; username?: string; password?: string } {
  const u = new URL(raw);
  if (!u.username && !u.password) return { url: raw };
  const username = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  registerSecret(password);
  u.username = '';
  u.password = '';
  return { url: u.toString().replace(/\/+$/, ''), username, password };
}

/** `name:base64(host$es-uuid$kibana-uuid)` → the Elasticsearch endpoint it stands for. */
function cloudHost(id: string): string | undefined {
  const encoded = id.includes(':') ? id.slice(id.indexOf(':') + 1) : id;
  const [host, esId] = Buffer.from(encoded, 'base64').toString('utf8').split('$');
  return host && esId && /^[a-z0-9.:-]+$/i.test(host) && /^[a-z0-9]+$/i.test(esId)
    ? `https://${esId}.${host.replace(/:443$/, '')}`
    : undefined;
}

function kafkaSecurity(c: Parsed, env: Env): KafkaSecurity {
  const problems: string[] = [];
  const protocol = c.KAFKA_SECURITY_PROTOCOL;
  const usesTls = protocol === 'SSL' || protocol === 'SASL_SSL';
  const usesSasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  const tls = {
    ca: readConfigFile(env, 'KAFKA_SSL_CA_FILE'),
    cert: readConfigFile(env, 'KAFKA_SSL_CERT_FILE'),
    key: readSecret(env, 'KAFKA_SSL_KEY'),
    passphrase: readSecret(env, 'KAFKA_SSL_KEY_PASSWORD'),
  };
  if (!usesTls && Object.values(tls).some(Boolean))
    problems.push(
      `KAFKA_SSL_* is set but KAFKA_SECURITY_PROTOCOL=${protocol}: use SSL or SASL_SSL to connect with TLS`,
    );
  if (Boolean(tls.cert) !== Boolean(tls.key))
    problems.push(
      'KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together (a client certificate and its private key, for mTLS)',
    );
  const mechanism = c.KAFKA_SASL_MECHANISM;
  if (usesSasl && !mechanism)
    problems.push(
      `KAFKA_SASL_MECHANISM (not set): KAFKA_SECURITY_PROTOCOL=${protocol} needs one of ${mechanisms.join(', ')}`,
    );
  if (!usesSasl && mechanism)
    problems.push(
      `KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SECURITY_PROTOCOL=SASL_SSL (or SASL_PLAINTEXT), not ${protocol}`,
    );
  let sasl: KafkaSasl | undefined;
  if (usesSasl && mechanism === 'OAUTHBEARER') {
    const tokenFile = env.KAFKA_SASL_OAUTHBEARER_TOKEN_FILE?.trim();
    if (!tokenFile)
      problems.push(
        'KAFKA_SASL_OAUTHBEARER_TOKEN_FILE (not set): OAUTHBEARER needs a file holding the current token (re-read at every login)',
      );
    else {
      readSecret(env, 'KAFKA_SASL_OAUTHBEARER_TOKEN');
      sasl = { mechanism: 'oauthbearer', tokenFile };
    }
  } else if (usesSasl && mechanism) {
    const password = readSecret(env, 'KAFKA_SASL_PASSWORD');
    if (!c.KAFKA_SASL_USERNAME)
      problems.push(`KAFKA_SASL_USERNAME (not set): ${mechanism} needs a user name`);
    if (!password)
      problems.push(
        `KAFKA_SASL_PASSWORD_FILE (not set): ${mechanism} needs a password, in a file (or KAFKA_SASL_PASSWORD)`,
      );
    if (c.KAFKA_SASL_USERNAME && password)
      sasl = {
        mechanism: mechanism.toLowerCase() as 'plain' | 'scram-sha-256' | 'scram-sha-512',
        username: c.KAFKA_SASL_USERNAME,
        password,
      };
  }
  if (problems.length > 0) fail(problems);
  const present = Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined));
  return { protocol, ...(usesTls ? { tls: present } : {}), ...(sasl ? { sasl } : {}) };
}

function registryAccess(c: Parsed, env: Env, rawUrl: string): RegistryAccess {
  const { url, username: urlUser, password: urlPassword } = withoutUserInfo(rawUrl);
  const password = readSecret(env, 'SCHEMA_REGISTRY_PASSWORD');
  const username = c.SCHEMA_REGISTRY_USERNAME;
  if (urlUser && (username || password))
    fail([
      'SCHEMA_REGISTRY_URL has a user and password in it and SCHEMA_REGISTRY_USERNAME/PASSWORD are set too: keep only the variables',
    ]);
  if (Boolean(username) !== Boolean(password))
    fail([
      'SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE go together (basic auth; for Confluent Cloud, the API key and its secret)',
    ]);
  const user = username ?? urlUser;
  const secret = password ?? urlPassword;
  if (user && secret) registerBasicAuth(user, secret);
  const ca = readConfigFile(env, 'SCHEMA_REGISTRY_CA_FILE');
  return {
    url,
    ...(user && secret ? { auth: { username: user, password: secret } } : {}),
    ...(ca ? { ca } : {}),
  };
}

function elasticsearchAccess(c: Parsed, env: Env, rawUrl: string | undefined): ElasticsearchAccess {
  const problems: string[] = [];
  if (rawUrl && c.ELASTICSEARCH_CLOUD_ID)
    problems.push('ELASTICSEARCH_URL and ELASTICSEARCH_CLOUD_ID are both set: set only one');
  const fromUrl = rawUrl ? withoutUserInfo(rawUrl) : undefined;
  const apiKey = readSecret(env, 'ELASTICSEARCH_API_KEY');
  const password = readSecret(env, 'ELASTICSEARCH_PASSWORD');
  const username = c.ELASTICSEARCH_USERNAME ?? fromUrl?.username;
  const secret = password ?? fromUrl?.password;
  if (apiKey && (username || secret))
    problems.push('ELASTICSEARCH_API_KEY and a user name/password are both set: use one way to authenticate');
  if (Boolean(username) !== Boolean(secret))
    problems.push('ELASTICSEARCH_USERNAME and ELASTICSEARCH_PASSWORD_FILE go together');
  const ca = readConfigFile(env, 'ELASTICSEARCH_CA_FILE');
  if (ca && c.ELASTICSEARCH_CA_FINGERPRINT)
    problems.push('ELASTICSEARCH_CA_FILE and ELASTICSEARCH_CA_FINGERPRINT are both set: set only one');
  if (problems.length > 0) fail(problems);
  if (username && secret) registerBasicAuth(username, secret);
  const auth = apiKey ? { apiKey } : username && secret ? { username, password: secret } : undefined;
  const cloudId = c.ELASTICSEARCH_CLOUD_ID;
  return {
    url: cloudId ? cloudHost(cloudId)! : fromUrl!.url,
    ...(cloudId ? { cloudId } : { node: fromUrl!.url }),
    ...(auth ? { auth } : {}),
    ...(ca ? { ca } : {}),
    ...(c.ELASTICSEARCH_CA_FINGERPRINT ? { caFingerprint: c.ELASTICSEARCH_CA_FINGERPRINT } : {}),
  };
}

/** The validated fields of `connectionShape`, with the addresses lib/config.ts validated, as access settings. */
export function connectionSettings(
  c: Parsed,
  env: Env,
  urls: { schemaRegistryUrl: string; elasticsearchUrl: string | undefined },
): { kafkaSecurity: KafkaSecurity; registry: RegistryAccess; elasticsearch: ElasticsearchAccess } {
  return {
    kafkaSecurity: kafkaSecurity(c, env),
    registry: registryAccess(c, env, urls.schemaRegistryUrl),
    elasticsearch: elasticsearchAccess(c, env, urls.elasticsearchUrl),
  };
}

const TLS_TRUST_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const TLS_TRUST_TEXT =
  /self[- ]signed certificate|unable to (verify|get (local )?issuer)|certificate has expired|does not match certificate's altnames|fingerprint does not match|malformed certificate/i;

type Wrapped = { code?: unknown; message?: unknown; cause?: unknown; originalError?: unknown };

/** True when `err`, or an error it wraps, says the server's TLS certificate is not trusted. */
export function isTlsTrustFailure(err: unknown): boolean {
  let e = err as Wrapped | undefined;
  for (let depth = 0; e && depth < 6; depth++) {
    if (typeof e.code === 'string' && TLS_TRUST_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && TLS_TRUST_TEXT.test(e.message)) return true;
    e = (e.cause ?? e.originalError) as Wrapped | undefined;
  }
  return false;
}
