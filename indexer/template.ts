// The index template (mapping of a page document) and the bulk-load settings of a run index.
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import type { HtmlPage } from '../schemas/index.ts';
import type { IndexerConfig } from './config.ts';
import { pageTemplateName, runIndexPattern } from './index-names.ts';

/** What a page looks like in Elasticsearch: the converted page plus the run and source it came from. */
export interface PageDocument extends HtmlPage {
  runId: string;
  sourceId: string;
}

const keyword = { type: 'keyword' } as const;
/** Kept for what a search returns (`_source`), never searched. */
const returnedOnly = { type: 'keyword', index: false, doc_values: false } as const;

/**
 * The page mapping. `positions`: what run indices built before 2026-12-01 also indexed, and a refresh's
 * copy of one keeps (Elasticsearch cannot drop them from a field): the texts' positions and the
 * sections' anchor and path as searchable keywords. Search uses neither: its match queries score by
 * term frequency and norms, its highlighter re-analyses the text, and a section's anchor and path come
 * back from `_source`; the two were a third of Elasticsearch's CPU per page (bench/README.md#indexer).
 */
export function pageMappings(textAnalyzer: string, { positions = false } = {}) {
  const searchedText = {
    type: 'text' as const,
    analyzer: textAnalyzer,
    ...(positions ? {} : { index_options: 'freqs' as const }),
  };
  const sectionKey = positions ? keyword : returnedOnly;
  return {
    dynamic: 'strict' as const,
    properties: {
      pageId: keyword,
      title: { type: 'text' as const, fields: { keyword: { type: 'keyword' as const, ignore_above: 1024 } } },
      // Kept for display; searching markup would match tag names, so it is not indexed.
      html: { type: 'text' as const, index: false },
      text: searchedText,
      url: keyword,
      spaceKey: keyword,
      spaceName: keyword,
      spaceType: keyword,
      visibility: keyword,
      visibilityReason: keyword,
      version: { type: 'integer' as const },
      updatedAt: { type: 'date' as const },
      breadcrumbs: { type: 'text' as const, analyzer: textAnalyzer, fields: { keyword } },
      labels: keyword,
      author: keyword,
      // Compared by the next refresh, never searched. The next refresh reads it from its doc values
      // (`fingerprint.docvalues`, producer/live-index.ts): from the source, every document's HTML and text
      // would be loaded to filter it. A sub-field, because a copy of an older index can take a new one.
      fingerprint: {
        type: 'keyword' as const,
        index: false,
        doc_values: false,
        fields: { docvalues: { type: 'keyword' as const, index: false, doc_values: true } },
      },
      converter: keyword,
      // Nested, so a search can tell which section of a page matched best (inner hits).
      sections: {
        type: 'nested' as const,
        properties: { anchor: sectionKey, path: sectionKey, text: searchedText },
      },
      runId: keyword,
      sourceId: keyword,
    },
  };
}

/** Matches `<prefix>-<source>-<run>` (two dashes after the prefix) and never `<prefix>-runs`. */
export async function ensureTemplate(es: Elasticsearch, cfg: IndexerConfig): Promise<void> {
  const prefix = cfg.services.indexPrefix;
  await es.indices.putIndexTemplate({
    name: pageTemplateName(prefix),
    index_patterns: [runIndexPattern(prefix)],
    // Above the built-in logs-*-* / metrics-*-* templates (100), in case a prefix collides with them.
    priority: 200,
    template: {
      settings: { number_of_shards: 1, number_of_replicas: cfg.replicas, refresh_interval: '1s' },
      mappings: pageMappings(cfg.textAnalyzer),
    },
  });
}

/** Initialize: the run's index, tuned for bulk loading (no refresh, no replicas) until finalize. */
export async function createRunIndex(es: Elasticsearch, index: string): Promise<void> {
  // A redelivered START, or a restart: the index is already there.
  await es.indices
    .create({ index, settings: { refresh_interval: '-1', number_of_replicas: 0 } })
    .catch(ignoreAlreadyExists);
}

/** For `.catch` on an index creation: an index that already exists is what was wanted. */
export function ignoreAlreadyExists(err: { body?: { error?: { type?: string } } }): void {
  if (err.body?.error?.type !== 'resource_already_exists_exception') throw err;
}

/** Before a run can go live: searchable refreshes and the configured replicas, then a fresh view. */
export async function restoreSearchSettings(
  es: Elasticsearch,
  cfg: IndexerConfig,
  index: string,
): Promise<void> {
  await es.indices.putSettings({
    index,
    settings: { refresh_interval: '1s', number_of_replicas: cfg.replicas },
  });
  if (cfg.replicas > 0) await es.cluster.health({ index, wait_for_status: 'green', timeout: '60s' });
  await es.indices.refresh({ index });
}
