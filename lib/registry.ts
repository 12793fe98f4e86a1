// The schema registry client (Confluent wire format) and one codec per topic: each registers its
// topic's schema under `<topic>-value` at start, encodes with that id and decodes any registered id.
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import type { ServicesConfig } from './config.ts';
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
    throw new UserError(
      `Could not register the ${kind} schema at ${cfg.schemaRegistryUrl}: ${(err as Error).message}`,
      {
        exitCode: ExitCode.network,
        hint: 'Start the local stack with `npm run stack -- up`, or set SCHEMA_REGISTRY_URL to a Confluent-compatible registry. An incompatible-schema error means a schema change lost a default.',
        cause: err,
      },
    );
  }
  return {
    topic,
    schemaId,
    encode: (value) => registry.encode(schemaId, value),
    decode: (buffer) => registry.decode(buffer) as Promise<TopicValues[K]>,
  };
}

/** All four topics' codecs at once. */
export async function createCodecs(cfg: ServicesConfig) {
  const registry = new SchemaRegistry({ host: cfg.schemaRegistryUrl, retry: { retries: 5 } });
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
