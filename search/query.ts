// Search as the AI does it: one source's alias, one audience. What an audience may see is enforced in
// the Elasticsearch query itself (a bool filter), never by dropping hits afterwards: a filtered-out page
// is never scored, counted, highlighted or returned, and `size` is always filled from allowed pages.
import { errors, type estypes } from '@elastic/elasticsearch';
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { ExitCode, UserError } from '../lib/errors.ts';
import type { HtmlPage, Visibility } from '../schemas/index.ts';
import { elasticsearchError } from '../lib/elasticsearch.ts';
import { isRetriable } from '../lib/errors.ts';
import { aliasName } from '../indexer/index-names.ts';

/** `customer`: public pages only. `agent`: internal and public pages. */
export const audiences = ['customer', 'agent'] as const;
export type Audience = (typeof audiences)[number];

export const defaultSize = 10;
export const maxSize = 50;
export const maxQueryChars = 1000;
/** Highlight fragment size; a snippet is cut at `snippetMax` whatever ES returns. */
const fragmentChars = 160;
const snippetMax = 240;

/** A bad request (400), a source with no alias (404), or Elasticsearch unavailable (503). */
export class SearchError extends UserError {
  readonly status: 400 | 404 | 503;
  constructor(status: 400 | 404 | 503, message: string, hint?: string) {
    super(message, {
      exitCode: status === 503 ? ExitCode.network : ExitCode.failure,
      ...(hint ? { hint } : {}),
    });
    this.name = 'SearchError';
    this.status = status;
  }
}

const badRequest = (message: string, hint?: string) => new SearchError(400, message, hint);

/** Never defaults: a missing audience must not widen (or guess) what a caller may see. */
export function parseAudience(value: unknown): Audience {
  if (value === undefined || value === null || value === '')
    throw badRequest('audience is required: customer (public pages only) or agent (internal and public)');
  if (!audiences.includes(value as Audience))
    throw badRequest(
      `unknown audience ${JSON.stringify(value)}: must be customer (public pages only) or agent (internal and public)`,
    );
  return value as Audience;
}

export function parseSize(value: unknown): number {
  if (value === undefined || value === null || value === '') return defaultSize;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > maxSize)
    throw badRequest(`size must be a whole number from 1 to ${maxSize}, got ${JSON.stringify(value)}`);
  return n;
}

export function parseQuery(value: unknown): string {
  const q = typeof value === 'string' ? value.trim() : '';
  if (!q) throw badRequest('the search text (q) is required');
  if (q.length > maxQueryChars) throw badRequest(`q is too long: at most ${maxQueryChars} characters`);
  return q;
}

/** Same rule as the producer's SOURCE_ID: no wildcard or comma can widen the search to other indices. */
export function parseSource(value: unknown): string {
  if (value === undefined || value === null || value === '')
    throw badRequest('source is required: the source id, e.g. acme-atlassian-net');
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(value))
    throw badRequest(
      `source ${JSON.stringify(value)} is not a source id: lowercase letters, digits and -, e.g. acme-atlassian-net`,
    );
  return value;
}

/** The filter clauses an audience adds. Exhaustive: an audience not listed here throws. */
function visibilityFilter(audience: Audience): estypes.QueryDslQueryContainer[] {
  switch (audience) {
    case 'customer':
      return [{ term: { visibility: 'public' satisfies Visibility } }];
    case 'agent':
      return [];
    default:
      throw badRequest(`unknown audience ${JSON.stringify(audience)}`);
  }
}

export interface SearchInput {
  q: string;
  audience: Audience;
  size?: number;
}

/** The request body (index aside): pure, so the audience rule is unit-tested on the exact query sent. */
export function buildSearchBody(input: SearchInput): estypes.SearchRequest {
  const filter = visibilityFilter(input.audience);
  return {
    size: input.size ?? defaultSize,
    track_total_hits: false,
    _source: [...RESULT_FIELDS],
    query: {
      bool: {
        must: [
          {
            bool: {
              should: [
                {
                  multi_match: {
                    query: input.q,
                    fields: ['title^3', 'breadcrumbs', 'text'],
                    type: 'best_fields',
                  },
                },
                // The best-matching section of each page comes back as its inner hit.
                {
                  nested: {
                    path: 'sections',
                    score_mode: 'max',
                    query: { match: { 'sections.text': input.q } },
                    inner_hits: { size: 1, _source: ['sections.anchor', 'sections.path'] },
                  },
                },
              ],
              minimum_should_match: 1,
            },
          },
        ],
        filter,
      },
    },
    highlight: {
      // No markup around matches: snippets are plain text.
      pre_tags: [''],
      post_tags: [''],
      fields: {
        // no_match_size: a page that matched on its title only gets the start of its text.
        text: {
          type: 'unified',
          fragment_size: fragmentChars,
          number_of_fragments: 1,
          no_match_size: fragmentChars,
        },
      },
    },
  };
}

const RESULT_FIELDS = [
  'pageId',
  'title',
  'url',
  'visibility',
  'visibilityReason',
  'spaceName',
  'breadcrumbs',
  'labels',
  'author',
  'updatedAt',
] as const;
type ResultFields = Pick<HtmlPage, (typeof RESULT_FIELDS)[number]>;

export interface SearchResult extends ResultFields {
  /** The section that matched best: its heading path and a link that opens it (null: the page as a whole). */
  section: { path: string[]; url: string } | null;
  /** Elasticsearch's relevance score (_score). */
  score: number;
  snippet: string;
}

export interface SearchResponse {
  source: string;
  alias: string;
  audience: Audience;
  q: string;
  results: SearchResult[];
}

/** Plain text, one line, bounded: page text can quote markup (code samples), which must not come back as HTML. */
export function cleanSnippet(raw: string): string {
  const text = raw
    .replace(/<\/?[a-zA-Z!][^>]*(>|$)/g, ' ')
    .replace(/[<>]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (text.length <= snippetMax) return text;
  const cut = text.slice(0, snippetMax);
  const space = cut.lastIndexOf(' ');
  return `${(space > snippetMax / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

type PageHit = estypes.SearchHit<ResultFields>;

/** The inner hit of the sections query: the section that matched best, when one had a heading. */
function sectionOf(hit: PageHit, url: string): SearchResult['section'] {
  const best = hit.inner_hits?.sections?.hits.hits[0]?._source as
    { anchor?: string; path?: string[] } | undefined;
  if (!best?.anchor) return null;
  return { path: best.path ?? [], url: `${url}#${encodeURIComponent(best.anchor)}` };
}

export function toResult(hit: PageHit): SearchResult {
  const page = hit._source!;
  return {
    pageId: page.pageId,
    title: page.title,
    url: page.url,
    visibility: page.visibility,
    // Documents indexed before these fields existed lack them.
    visibilityReason: page.visibilityReason ?? 'unrecorded',
    spaceName: page.spaceName,
    breadcrumbs: page.breadcrumbs ?? [],
    labels: page.labels ?? [],
    author: page.author ?? null,
    updatedAt: page.updatedAt ?? null,
    section: sectionOf(hit, page.url),
    score: hit._score ?? 0,
    snippet: cleanSnippet(hit.highlight?.text?.[0] ?? ''),
  };
}

/** Per search: fail fast rather than keep the AI waiting on the client's long bulk-friendly defaults. */
const requestOptions = { requestTimeout: 10_000, maxRetries: 1 };

/** Searches one alias (the name must be an alias: not a run index, not the runs index). */
export async function searchAlias(
  es: Elasticsearch,
  input: SearchInput & { alias: string },
): Promise<SearchResult[]> {
  const { alias } = input;
  const notFound = () =>
    new SearchError(
      404,
      `Unknown source: alias ${alias} does not exist`,
      'The source id is wrong or none of its runs has gone live yet; `ops runs` lists sources and runs.',
    );
  try {
    if (!(await es.indices.existsAlias({ name: alias }, requestOptions))) throw notFound();
    const response = await es.search<PageHit['_source']>(
      { index: alias, ...buildSearchBody(input) },
      requestOptions,
    );
    const results = response.hits.hits.map((hit) => toResult(hit as PageHit));
    // Fails closed should the query ever be wrong; the query, not this line, is what keeps pages out.
    if (input.audience === 'customer' && results.some((r) => r.visibility !== 'public'))
      throw new Error(
        `customer search on ${alias} returned a non-public page: the visibility filter is broken`,
      );
    return results;
  } catch (err) {
    if (err instanceof SearchError) throw err;
    // The alias left between the two calls (source removed): same answer as no alias at all.
    if (err instanceof errors.ResponseError && err.statusCode === 404) throw notFound();
    // Overloaded or away (what the indexer waits out): the AI may retry.
    if (isRetriable(elasticsearchError(undefined, err)))
      throw new SearchError(
        503,
        `Elasticsearch is unavailable: ${(err as Error).message}`,
        'Check that Elasticsearch is up (ELASTICSEARCH_URL), then retry.',
      );
    throw err;
  }
}

/** Searches a source: its alias is `<indexPrefix>-<source>`. */
export async function search(
  es: Elasticsearch,
  indexPrefix: string,
  input: SearchInput & { source: string },
): Promise<SearchResponse> {
  const alias = aliasName(indexPrefix, input.source);
  const results = await searchAlias(es, { ...input, alias });
  return { source: input.source, alias, audience: input.audience, q: input.q, results };
}
