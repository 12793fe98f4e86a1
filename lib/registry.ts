// The schema registry client (Confluent wire format) and one codec per topic: each registers its
// topic's schema under `<topic>-value` at start, encodes with that id and decodes any registered id.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Agent as HttpsAgent } from 'node:https';
import type { ServicesConfig } from './config.ts';
import { isTlsTrustFailure } from './connections.ts';
import { ExitCode, UserError } from './errors.ts';
import { topicSchemas, type TopicKind } from '../schemas/index.ts';
import type { DeadLetter, HtmlPageEvent, RawPageEvent, Run } from '../schemas/index.ts';

export interface Codec<T> {
  readonly topic: string;
  readonly schemaId: number;
  encode(value: T): Promise<Buffer>;
  decode(buffer: Buffer): Promise<T>;
}

interface TopicValues {
  rawPages: RawPageEvent;
  htmlPages: HtmlPageEvent;
  deadLetter: DeadLetter;
  runs: Run;
}

async function createCodec<K extends TopicKind>(
  registry: SchemaRegistry,
  cfg: ServicesConfig,
  kind: K,
): Promise<Codec<TopicValues[K]>> {
  const topic = cfg.topics[kind];
  let schemaId: number;
  try {
    ({ id: schemaId } = await registry.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(topicSchemas[kind]) },
      { subject: `${topic}-value` },
    ));
  } catch (err) {
    throw registryFailure(cfg, kind, err);
  }
  return {
    topic,
    schemaId,
    encode: (value) => registry.encode(schemaId, value),
    decode: (buffer) => registry.decode(buffer) as Promise<TopicValues[K]>,
  };
}

/** What went wrong talking to the registry, naming the setting to fix. */
function registryFailure(cfg: ServicesConfig, kind: TopicKind, err: unknown): UserError {
  const status = (err as { status?: number }).status;
  const where = `the schema registry at ${cfg.schemaRegistryUrl}`;
  if (status === 401 || status === 403) {
    return new UserError(`${where} refused our credentials (HTTP ${status}) registering the ${kind} schema`, {
      exitCode: ExitCode.auth,
      hint: cfg.registry.auth
        ? `Check SCHEMA_REGISTRY_USERNAME=${cfg.registry.auth.username} and the password in SCHEMA_REGISTRY_PASSWORD_FILE (for Confluent Cloud: the Schema Registry API key and secret), and that this user may write subjects.`
        : 'The registry needs credentials: set SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD_FILE.',
      cause: err,
    });
  }
  if (isTlsTrustFailure(err)) {
    return new UserError(`${where} presented a TLS certificate we do not trust: ${(err as Error).message}`, {
      exitCode: ExitCode.config,
      hint: "Set SCHEMA_REGISTRY_CA_FILE to the PEM file of the CA that signed the registry's certificate.",
      cause: err,
    });
  }
  return new UserError(
    `Could not register the ${kind} schema at ${cfg.schemaRegistryUrl}: ${(err as Error).message}`,
    {
      exitCode: ExitCode.network,
      hint: 'Start the local stack with `npm run stack -- up`, or set SCHEMA_REGISTRY_URL to a Confluent-compatible registry. An incompatible-schema error means a schema change lost a default.',
      cause: err,
    },
  );
}

/** All four topics' codecs at once, from one registry client (basic auth and a private CA when configured). */
export async function createCodecs(cfg: ServicesConfig) {
  const { url, auth, ca } = cfg.registry;
  const registry = new SchemaRegistry({
    host: url,
    retry: { retries: 5 },
    ...(auth ? { auth } : {}),
    ...(ca ? { agent: new HttpsAgent({ ca, keepAlive: true }) } : {}),
  });
  const [rawPages, htmlPages, deadLetter, runs] = await Promise.all([
    createCodec(registry, cfg, 'rawPages'),
    createCodec(registry, cfg, 'htmlPages'),
    createCodec(registry, cfg, 'deadLetter'),
    createCodec(registry, cfg, 'runs'),
  ]);
  return { rawPages, htmlPages, deadLetter, runs };
}
export type Codecs = Awaited<ReturnType<typeof createCodecs>>;

/**
 * True when decoding failed because the registry could not be asked (down, slow, 5xx): the record
 * may be fine, so retry it rather than skip it. A 404 (the writer's schema id is unknown) is not.
 */
export function isRegistryUnavailable(err: unknown): boolean {
  const e = err as { name?: string; status?: number };
  return e?.name === 'ResponseError' && e.status !== 404;
}
