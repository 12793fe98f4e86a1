// The schema registry client (Confluent wire format) and one codec per topic: each registers its
// topic's schema under `<topic>-value` at start, encodes with that id and decodes any registered id.
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Agent as HttpsAgent } from 'node:https';
import avro from 'avsc';
import type { ServicesConfig } from './config.ts';
import { isTlsTrustFailure } from './connections.ts';
import {
  InfraError,
  RegistryRefusedError,
  RegistryUnreachableError,
  SchemaIncompatibleError,
  TlsUntrustedError,
} from './errors.ts';
import { registerSubject } from './schema-subject.ts';
import { envelopeProblem, topicSchemas, type TopicKind } from '../schemas/index.ts';
import type {
  DeadLetter,
  HtmlPageBytes,
  HtmlPageEvent,
  RawPageEvent,
  RawPageEventToWrite,
  Run,
} from '../schemas/index.ts';

/** A topic's codec: encodes what is written (`In`), decodes what is read (`T`). */
export interface Codec<T, In = T> {
  readonly topic: string;
  readonly schemaId: number;
  encode(value: In): Promise<Buffer>;
  /** Throws Undecodable for a record that is not one of this topic's values (see its `code`). */
  decode(buffer: Buffer): Promise<T>;
}

/** Why a record cannot be read as the topic's value: stable codes, for logs and metric labels. */
export type UndecodableCode =
  | 'tombstone'
  | 'empty'
  | 'not-schema-framed'
  | 'unknown-schema'
  | 'incompatible-schema'
  | 'malformed'
  | 'not-an-event';

/** A record that is not ours, or broken: skip it (retrying cannot help). */
export class Undecodable extends Error {
  readonly code: UndecodableCode;
  constructor(code: UndecodableCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = 'Undecodable';
    this.code = code;
  }
}

const FRAME_HEADER = 5; // magic byte 0, then the writer's schema id (int32)

/** What each codec keeps to encode into; a larger value gets a buffer of its own size. */
const SCRATCH_BYTES = 256 * 1024;

/**
 * The Confluent wire format (magic 0, the schema id, the Avro value) in one pass. avsc's `toBuffer`
 * writes every value larger than its 1 KB pool twice (once to learn the size) and the registry client
 * then copies it behind the header: encoding into a scratch buffer and copying out once costs ~30%
 * less CPU on page events, the same bytes (bench/README.md#avro-encoding).
 */
function framedEncoder(type: avro.Type, schemaId: number, topic: string): (value: unknown) => Buffer {
  let scratch: Buffer | undefined;
  const frame = (buf: Buffer, end: number) => {
    buf[0] = 0;
    buf.writeInt32BE(schemaId, 1);
    // The scratch buffer is reused by the next encode: never hand it out, even when the value fills it.
    return end === buf.length && buf !== scratch ? buf : Buffer.from(buf.subarray(0, end));
  };
  return (value) => {
    scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
    try {
      const end = type.encode(value, scratch, FRAME_HEADER);
      if (end > 0) return frame(scratch, end);
      const exact = Buffer.allocUnsafe(scratch.length - end);
      return frame(exact, type.encode(value, exact, FRAME_HEADER));
    } catch (err) {
      const paths: string[] = [];
      type.isValid(value, { errorHook: (path) => paths.push(path.join('.') || '(root)') });
      throw new Error(`not a valid ${topic} value (${paths.join(', ') || (err as Error).message})`, {
        cause: err,
      });
    }
  };
}

interface TopicValues {
  rawPages: RawPageEvent;
  htmlPages: HtmlPageEvent;
  deadLetter: DeadLetter;
  runs: Run;
  latestPages: RawPageEvent;
}
type TopicInputs = Omit<TopicValues, 'rawPages' | 'latestPages'> & {
  rawPages: RawPageEventToWrite;
  latestPages: RawPageEventToWrite;
};

/** The fields read or written as their UTF-8 bytes, by record name: a page's long texts. */
const RAW_BODY = { RawPage: ['body'] };
const HTML_TEXTS = { HtmlPage: ['html', 'text'], Section: ['text'] };

/**
 * `schema` with the named string fields as `bytes`: Avro writes a string and bytes alike (a length,
 * then the bytes), so a value held as UTF-8 (RawPageBytes, HtmlPageBytes) is written or read without
 * ever being a JS string. The registered schema says `string`.
 */
function withBytes(node: unknown, fields: Record<string, string[]>, record = ''): unknown {
  if (Array.isArray(node)) return node.map((n) => withBytes(n, fields, record));
  if (!node || typeof node !== 'object') return node;
  const obj = node as Record<string, unknown>;
  if (obj.type === 'string' && fields[record]?.includes(obj.name as string)) return { ...obj, type: 'bytes' };
  const inner = obj.type === 'record' ? (obj.name as string) : record;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, withBytes(v, fields, inner)]));
}

async function createCodec<K extends TopicKind>(
  registry: SchemaRegistry,
  cfg: ServicesConfig,
  kind: K,
): Promise<
  Codec<TopicValues[K], TopicInputs[K]> & {
    /** A decode that reads the named string fields as their UTF-8 bytes (withBytes). */
    decodeAs<V>(fields: Record<string, string[]>): (buffer: Buffer) => Promise<V>;
  }
> {
  const topic = cfg.topics[kind];
  let schemaId: number;
  try {
    schemaId = await registerSubject(registry, `${topic}-value`, JSON.stringify(topicSchemas[kind]));
  } catch (err) {
    throw registryError(cfg, err, `${topic}-value`) ?? err;
  }
  const reader = avro.Type.forSchema(topicSchemas[kind] as avro.Schema);
  const envelope = kind === 'rawPages' || kind === 'htmlPages' || kind === 'latestPages';

  /** Reads any registered writer id into `reader`, refusing what is not one of this topic's values. */
  function decoder(reader: avro.Type) {
    // One read per writer schema id: read into our own schema, so a frame written with another
    // subject's schema is refused (or resolved, when compatible) instead of passed on in the wrong shape.
    const readers = new Map<number, (payload: Buffer) => unknown>();
    async function readerFor(id: number): Promise<(payload: Buffer) => unknown> {
      let read = readers.get(id);
      if (read) return read;
      let writer: avro.Type;
      try {
        writer = (await registry.getSchema(id)) as unknown as avro.Type;
      } catch (err) {
        if ((err as { status?: number }).status === 404)
          throw new Undecodable('unknown-schema', `schema id ${id} is unknown to the registry`, {
            cause: err,
          });
        throw err; // the registry is away: the record may be fine, so it is retried, never skipped
      }
      if (reader.equals(writer)) read = (payload) => reader.fromBuffer(payload);
      else {
        let resolver: avro.Resolver;
        try {
          resolver = reader.createResolver(writer);
        } catch (err) {
          throw new Undecodable('incompatible-schema', `schema id ${id} is not a ${kind} schema`, {
            cause: err,
          });
        }
        read = (payload) => reader.fromBuffer(payload, resolver);
      }
      readers.set(id, read);
      return read;
    }
    return async (buffer: Buffer): Promise<unknown> => {
      if (buffer.length === 0) throw new Undecodable('empty', 'the record value is empty');
      if (buffer.length < FRAME_HEADER || buffer[0] !== 0)
        throw new Undecodable('not-schema-framed', 'the value is not in the schema registry wire format');
      const read = await readerFor(buffer.readInt32BE(1));
      let value: Record<string, unknown>;
      try {
        value = read(buffer.subarray(FRAME_HEADER)) as Record<string, unknown>;
      } catch (err) {
        throw new Undecodable('malformed', `the Avro payload cannot be read: ${(err as Error).message}`, {
          cause: err,
        });
      }
      const problem = envelope ? envelopeProblem(value) : null;
      if (problem) throw new Undecodable('not-an-event', problem);
      return value;
    };
  }

  const bytesType = (fields: Record<string, string[]>) =>
    avro.Type.forSchema(withBytes(topicSchemas[kind], fields) as avro.Schema);
  const encodeAsRead = framedEncoder(reader, schemaId, topic);
  const encodeBodyBytes =
    kind === 'rawPages' || kind === 'latestPages'
      ? framedEncoder(bytesType(RAW_BODY), schemaId, topic)
      : encodeAsRead;
  const bodyIsBytes = (value: unknown) =>
    Buffer.isBuffer((value as { page?: { body?: unknown } | null }).page?.body);
  return {
    topic,
    schemaId,
    encode: async (value) => (bodyIsBytes(value) ? encodeBodyBytes : encodeAsRead)(value),
    decode: decoder(reader) as Codec<TopicValues[K]>['decode'],
    decodeAs: <V>(fields: Record<string, string[]>) =>
      decoder(bytesType(fields)) as (buffer: Buffer) => Promise<V>,
  };
}

// Node's socket-level failures, as the registry client (mappersmith) reports them: it has no error class
// of its own for "no answer", only a ResponseError whose text carries the socket error.
const NO_ANSWER =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)\b|socket hang up|timed? ?out/i;

/**
 * What a registry failure is, from the client's ResponseError and its status: untrusted certificate,
 * refused credentials (401/403), an incompatible schema (409), or no answer (a socket error, 5xx).
 * Undefined for anything else (a 404 for an unknown schema id, a 422 for a schema it cannot parse).
 */
export function registryError(cfg: ServicesConfig, err: unknown, subject = ''): InfraError | undefined {
  if (err instanceof InfraError) return err;
  // The client's ResponseError is not exported; it is the one with the request's `url` (method and URL).
  if (
    !(err instanceof Error) ||
    err.name !== 'ResponseError' ||
    typeof (err as { url?: unknown }).url !== 'string'
  )
    return undefined;
  const where = cfg.schemaRegistryUrl;
  if (isTlsTrustFailure(err)) return new TlsUntrustedError('registry', where, false, err);
  const status = (err as { status?: number }).status ?? 0;
  if (status === 401 || status === 403)
    return new RegistryRefusedError(where, status, cfg.registry.auth?.username, err);
  if (status === 409) return new SchemaIncompatibleError(where, subject, err);
  if (status >= 500 || status === 429 || NO_ANSWER.test(err.message))
    return new RegistryUnreachableError(where, err);
  return undefined;
}

/**
 * A value another codec of the same schema framed, framed for `codec`: the same Avro bytes under its
 * schema id (the buffer itself when the ids agree), so a record written to two topics is encoded once.
 */
export function reframe(framed: Buffer, codec: Pick<Codec<unknown>, 'schemaId'>): Buffer {
  if (framed.readInt32BE(1) === codec.schemaId) return framed;
  const copy = Buffer.from(framed);
  copy.writeInt32BE(codec.schemaId, 1);
  return copy;
}

/**
 * How long one registry request may take. The client sets no timeout of its own, so a registry that
 * accepts the connection and never answers would hold a stage's start (or a run) forever; this turns
 * it into the registry-unreachable error (the client reports "Timeout (…ms)").
 */
export const REGISTRY_REQUEST_TIMEOUT_MS = 20_000;
type RegistryMiddleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];
const requestTimeout =
  (ms: number): RegistryMiddleware =>
  () => ({
    async prepareRequest(next) {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout: ms });
    },
  });

/** Every topic's codec at once, from one registry client (basic auth and a private CA when configured). */
export async function createCodecs(
  cfg: ServicesConfig,
  { requestTimeoutMs = REGISTRY_REQUEST_TIMEOUT_MS }: { requestTimeoutMs?: number } = {},
) {
  const { url, auth, ca } = cfg.registry;
  const registry = new SchemaRegistry({
    host: url,
    retry: { retries: 5 },
    middlewares: [requestTimeout(requestTimeoutMs)],
    ...(auth ? { auth } : {}),
    ...(ca ? { agent: new HttpsAgent({ ca, keepAlive: true }) } : {}),
  });
  const [rawPages, htmlPages, deadLetter, runs, latestPages] = await Promise.all([
    createCodec(registry, cfg, 'rawPages'),
    createCodec(registry, cfg, 'htmlPages'),
    createCodec(registry, cfg, 'deadLetter'),
    createCodec(registry, cfg, 'runs'),
    createCodec(registry, cfg, 'latestPages'),
  ]);
  return {
    rawPages,
    htmlPages: {
      ...htmlPages,
      /** The indexer's decode: a page's html, text and section texts as their UTF-8 bytes. */
      decodeTexts: htmlPages.decodeAs<HtmlPageEvent<HtmlPageBytes>>(HTML_TEXTS),
    },
    deadLetter,
    runs,
    latestPages,
  };
}
export type Codecs = Awaited<ReturnType<typeof createCodecs>>;
