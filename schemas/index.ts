// The Avro schema of each topic, assembled from the .avsc files beside this one. Each named type lives
// in one file; a topic schema inlines the types it uses, so the registry sees one self-contained schema.
import { readFileSync } from 'node:fs';

type AvroSchema = Record<string, unknown>;

const files = [
  'refresh-base',
  'run-marker',
  'page-removal',
  'raw-page',
  'html-page',
  'facts-update',
  'html-facts-update',
  'conversion-failure',
  'raw-page-event',
  'html-page-event',
  'dead-letter',
  'run',
];
const named = new Map<string, AvroSchema>();
for (const file of files) {
  const schema = JSON.parse(readFileSync(new URL(`./${file}.avsc`, import.meta.url), 'utf8')) as AvroSchema;
  named.set(`${schema.namespace as string}.${schema.name as string}`, schema);
}

/** Replaces references to our named types by their definitions, each once (Avro forbids redefinition). */
function inline(node: unknown, defined: Set<string>): unknown {
  if (typeof node === 'string' && named.has(node)) {
    if (defined.has(node)) return node;
    defined.add(node);
    return inline(named.get(node), defined);
  }
  if (Array.isArray(node)) return node.map((n) => inline(n, defined));
  if (node && typeof node === 'object') {
    const obj = node as AvroSchema;
    if (obj.type === 'record' && obj.name)
      defined.add(`${(obj.namespace as string) ?? 'cks'}.${obj.name as string}`);
    return Object.fromEntries(
      Object.entries(obj).map(([k, v]) => [
        k,
        k === 'fields' || k === 'type' || k === 'items' ? inline(v, defined) : v,
      ]),
    );
  }
  return node;
}

function topicSchema(name: string): AvroSchema {
  return inline(name, new Set()) as AvroSchema;
}

/** What each topic carries: the value schema registered under the subject `<topic>-value`. */
export const topicSchemas = {
  rawPages: topicSchema('cks.RawPageEvent'),
  htmlPages: topicSchema('cks.HtmlPageEvent'),
  deadLetter: topicSchema('cks.DeadLetter'),
  runs: topicSchema('cks.Run'),
  /** The latest raw page of each id (lib/latest-pages.ts): the raw topic's events, pages only. */
  latestPages: topicSchema('cks.RawPageEvent'),
} as const;

export type TopicKind = keyof typeof topicSchemas;
export type * from './types.ts';
export { envelopeProblem, pageIdOf } from './events.ts';
export * from './visibility.ts';
