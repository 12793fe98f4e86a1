// Config is read from the environment and validated once, here. Each area declares the variables it
// needs as a zod object; errors name the variable and show what a good value looks like.
import { z } from 'zod';
import {
  connectionSettings,
  connectionShape,
  type ElasticsearchAccess,
  type KafkaSecurity,
  type RegistryAccess,
} from './connections.ts';
import { ConfigError } from './errors.ts';
import { parseDuration } from './duration.ts';

export type Env = Record<string, string | undefined>;

/** A value as an error message may show it: never a secret, never the password in a URL. */
function printable(variable: string, raw: string): string {
  if (/(PASSWORD|SECRET|TOKEN|API_KEY)$/.test(variable)) return '[redacted]';
  return raw.replace(/\/\/[^/@\s]*@/, '//[redacted]@');
}

/** Parses `env` with `shape`; every problem is reported at once, one line per variable. */
export function readConfig<S extends z.ZodRawShape>(
  shape: S,
  env: Env = process.env,
): z.infer<z.ZodObject<S>> {
  const result = z
    .object(shape)
    .safeParse(Object.fromEntries(Object.keys(shape).map((k) => [k, env[k] === '' ? undefined : env[k]])));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const variable = String(issue.path[0]);
    const raw = env[variable];
    return `  ${variable}${raw === undefined ? ' (not set)' : `=${JSON.stringify(printable(variable, raw))}`}: ${issue.message}`;
  });
  throw new ConfigError(
    `Configuration is not valid:\n${lines.join('\n')}`,
    'Set the variables above in the environment (see docs/configuration.md).',
  );
}

const urlVar = (example: string) =>
  z
    .string()
    .url({ message: `must be an http(s) URL, e.g. ${example}` })
    .transform((u) => u.replace(/\/+$/, ''));

const intVar = (min: number, max: number, example: number) =>
  z.coerce
    .number({ message: `must be a whole number from ${min} to ${max}, e.g. ${example}` })
    .int({ message: `must be a whole number from ${min} to ${max}, e.g. ${example}` })
    .min(min, { message: `must be at least ${min}, e.g. ${example}` })
    .max(max, { message: `must be at most ${max}, e.g. ${example}` });

/** The address a server listens on (loopback unless told otherwise, e.g. 0.0.0.0 in a container). */
const listenHostVar = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9.:_[\]-]+$/, {
      message: 'must be a host name or IP address to listen on, e.g. 0.0.0.0',
    })
    .default('127.0.0.1');

/** A duration as people write it (`90s`, `30m`, `4h`, `1d`; lib/duration.ts), as milliseconds. */
const durationVar = (example: string) =>
  z.string().transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms !== undefined) return ms;
    ctx.addIssue({
      code: 'custom',
      message: `must be a duration like ${example} (a number and s, m, h or d)`,
    });
    return z.NEVER;
  });

export const vars = { url: urlVar, int: intVar, listenHost: listenHostVar, duration: durationVar };

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const logShape = {
  LOG_LEVEL: z
    .string()
    .transform((s) => s.trim().toLowerCase())
    .pipe(z.enum(logLevels, { message: `must be one of ${logLevels.join(', ')}, e.g. debug` }))
    .default('info'),
};

/** The pino level from LOG_LEVEL (default info); METRICS_PORT is read by lib/service.ts. */
export function logLevel(env: Env = process.env): (typeof logLevels)[number] {
  return readConfig(logShape, env).LOG_LEVEL;
}

// Defaults point at the local stack (npm run stack -- up).
const servicesShape = {
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:19092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .refine((l) => l.length > 0 && l.every((b) => /^[^\s:/]+:\d+$/.test(b)), {
      message: 'must be a comma-separated list of host:port, e.g. kafka1:9092,kafka2:9092',
    }),
  SCHEMA_REGISTRY_URL: urlVar('http://127.0.0.1:18081/apis/ccompat/v7').default(
    'http://127.0.0.1:18081/apis/ccompat/v7',
  ),
  // No default here: ELASTICSEARCH_CLOUD_ID may name the cluster instead (lib/connections.ts).
  ELASTICSEARCH_URL: urlVar('http://127.0.0.1:19200').optional(),
  ...connectionShape,
  TOPIC_RAW_PAGES: z.string().min(1).default('confluence.pages.raw'),
  TOPIC_HTML_PAGES: z.string().min(1).default('confluence.pages.html'),
  TOPIC_DEAD_LETTER: z.string().min(1).default('confluence.pages.dead-letter'),
  TOPIC_RUNS: z.string().min(1).default('confluence.runs'),
  TOPIC_LATEST_PAGES: z.string().min(1).default('confluence.pages.latest'),
  TOPIC_PARTITIONS: intVar(1, 1000, 3).default(3),
  RAW_RETENTION_HOURS: intVar(1, 100_000, 336).default(336),
  INDEX_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/, { message: 'must be lowercase letters, digits, - or _, e.g. confluence' })
    .default('confluence'),
};

export interface ServicesConfig {
  kafkaBrokers: string[];
  kafkaSecurity: KafkaSecurity;
  /** Printable (no user info), like `elasticsearchUrl`. */
  schemaRegistryUrl: string;
  registry: RegistryAccess;
  elasticsearchUrl: string;
  elasticsearch: ElasticsearchAccess;
  topics: { rawPages: string; htmlPages: string; deadLetter: string; runs: string; latestPages: string };
  partitions: number;
  rawRetentionHours: number;
  indexPrefix: string;
}

/**
 * Every topic and index name of one pipeline under `id` (`<id>.raw`, …, index prefix `<id>`), as
 * variables: what tests and benchmarks set so that pipelines sharing a stack never read, write or
 * delete each other's records, indices or aliases. A new topic added above belongs here too.
 */
export function pipelineNames(id: string) {
  return {
    TOPIC_RAW_PAGES: `${id}.raw`,
    TOPIC_HTML_PAGES: `${id}.html`,
    TOPIC_DEAD_LETTER: `${id}.dead-letter`,
    TOPIC_RUNS: `${id}.runs`,
    TOPIC_LATEST_PAGES: `${id}.latest`,
    INDEX_PREFIX: id,
  };
}

/** Where Kafka, the registry and Elasticsearch are, and the names of our topics and indices. */
export function servicesConfig(env: Env = process.env): ServicesConfig {
  const c = readConfig(servicesShape, env);
  const access = connectionSettings(c, env, {
    schemaRegistryUrl: c.SCHEMA_REGISTRY_URL,
    elasticsearchUrl:
      c.ELASTICSEARCH_URL ?? (c.ELASTICSEARCH_CLOUD_ID ? undefined : 'http://127.0.0.1:19200'),
  });
  return {
    kafkaBrokers: c.KAFKA_BROKERS,
    kafkaSecurity: access.kafkaSecurity,
    schemaRegistryUrl: access.registry.url,
    registry: access.registry,
    elasticsearchUrl: access.elasticsearch.url,
    elasticsearch: access.elasticsearch,
    topics: {
      rawPages: c.TOPIC_RAW_PAGES,
      htmlPages: c.TOPIC_HTML_PAGES,
      deadLetter: c.TOPIC_DEAD_LETTER,
      runs: c.TOPIC_RUNS,
      latestPages: c.TOPIC_LATEST_PAGES,
    },
    partitions: c.TOPIC_PARTITIONS,
    rawRetentionHours: c.RAW_RETENTION_HOURS,
    indexPrefix: c.INDEX_PREFIX,
  };
}
