// What the transformer service does to one record, without I/O: a raw event in, the HTML event (and,
// for a page that cannot be converted, the dead letter) out. The service loop only moves bytes.
import {
  recordedVisibility,
  type DeadLetter,
  type FactsUpdate,
  type HtmlFactsUpdate,
  type HtmlPage,
  type HtmlPageEvent,
  type MarkerEvent,
  type RawPage,
  type RawPageEvent,
  type RunMarker,
} from '../schemas/index.ts';
import {
  CONVERTER_VERSION,
  ConversionError,
  convertPage,
  type Converted,
  type PageContext,
} from './convert.ts';

export type Convert = (storage: string, ctx: PageContext) => Converted;

export type Transformed =
  | { kind: 'page'; event: Extract<HtmlPageEvent, { page: HtmlPage }> }
  | { kind: 'marker'; marker: RunMarker; event: MarkerEvent<HtmlPageEvent> }
  | { kind: 'removal'; event: Extract<HtmlPageEvent, { removal: object }> }
  | { kind: 'facts'; event: Extract<HtmlPageEvent, { facts: object }> }
  | {
      kind: 'failure';
      code: string;
      event: Extract<HtmlPageEvent, { failure: object }>;
      deadLetter: DeadLetter;
    };

/** The page URL layouts Confluence uses (Cloud, and Data Center under any context path). */
const PAGE_PATHS = ['/spaces/', '/display/', '/pages/viewpage.action'];

/**
 * The site's wiki root a page's links resolve against: everything before the first page path in its
 * URL (`…/wiki/spaces/ENG/pages/42`, `…/confluence/display/ENG/Title`, `…/pages/viewpage.action?pageId=42`).
 */
export function wikiBaseOf(pageUrl: string): string | null {
  const found = PAGE_PATHS.map((p) => pageUrl.indexOf(p)).filter((at) => at !== -1);
  return found.length === 0 ? null : pageUrl.slice(0, Math.min(...found));
}

/**
 * Maps one raw event to its output. Markers and removals pass unchanged; a facts update keeps the HTML
 * the base holds (nothing to convert); a page becomes an HTML page, or a failure
 * plus a dead letter when it cannot be converted — never an exception, so bad input cannot stop the
 * service.
 */
export function transformEvent(raw: RawPageEvent, now: number, convert: Convert = convertPage): Transformed {
  const { runId, sourceId } = raw;
  if (raw.marker) {
    const { marker } = raw;
    return {
      kind: 'marker',
      marker,
      event: { runId, sourceId, page: null, failure: null, marker, removal: null },
    };
  }
  if (raw.removal) {
    const { removal } = raw;
    return { kind: 'removal', event: { runId, sourceId, page: null, failure: null, marker: null, removal } };
  }
  if (raw.facts) {
    const facts = htmlFactsOf(raw.facts);
    return {
      kind: 'facts',
      event: { runId, sourceId, page: null, failure: null, marker: null, removal: null, facts },
    };
  }
  let page: HtmlPage;
  try {
    page = htmlPageOf(raw.page, convert);
  } catch (err) {
    return failed(raw, raw.page, err, now);
  }
  return { kind: 'page', event: { runId, sourceId, page, failure: null, marker: null, removal: null } };
}

function htmlPageOf(raw: RawPage, convert: Convert): HtmlPage {
  const baseUrl = wikiBaseOf(raw.url);
  if (baseUrl === null) {
    throw new ConversionError(
      'invalid-context',
      `page URL ${JSON.stringify(raw.url)} has no /spaces/ part, so the site's wiki root is unknown`,
    );
  }
  const users = new Map(raw.users.map((u) => [u.accountId, u.displayName]));
  const { html, text, sections } = convert(raw.body, {
    baseUrl,
    spaceKey: raw.space.key,
    pageId: raw.id,
    title: raw.title,
    users,
  });
  // What the producer's policy decided, held to the rules no override lifts (schemas/visibility.ts).
  const { visibility, reason } = recordedVisibility(raw);
  return {
    pageId: raw.id,
    title: raw.title,
    html,
    text,
    url: raw.url,
    spaceKey: raw.space.key,
    spaceName: raw.space.name,
    spaceType: raw.space.type,
    visibility,
    visibilityReason: reason,
    version: raw.version,
    updatedAt: raw.versionCreatedAt,
    breadcrumbs: raw.ancestors.map((a) => a.title),
    labels: raw.labels,
    author: (raw.authorId && users.get(raw.authorId)) || null,
    sections,
    fingerprint: raw.fingerprint,
    converter: CONVERTER_VERSION,
  };
}

/** The document fields a facts update changes, its visibility held to the same rules as a page's. */
function htmlFactsOf(facts: FactsUpdate): HtmlFactsUpdate {
  const { visibility, reason } = recordedVisibility(facts);
  return {
    pageId: facts.id,
    version: facts.version,
    spaceName: facts.space.name,
    spaceType: facts.space.type,
    visibility,
    visibilityReason: reason,
    breadcrumbs: facts.ancestors.map((a) => a.title),
    labels: facts.labels,
    fingerprint: facts.fingerprint,
  };
}

/** The failure record and dead letter that account for a page in place of its HTML. */
export function failed(
  { runId, sourceId }: Pick<RawPageEvent, 'runId' | 'sourceId'>,
  page: RawPage,
  err: unknown,
  now: number,
): Extract<Transformed, { kind: 'failure' }> {
  const code = err instanceof ConversionError ? err.reason : 'internal-error';
  const reason = `${code}: ${err instanceof Error ? err.message : String(err)}`;
  return {
    kind: 'failure',
    code,
    event: { runId, sourceId, page: null, failure: { pageId: page.id, reason }, marker: null, removal: null },
    deadLetter: { runId, sourceId, reason, page, failedAt: now },
  };
}
