// TypeScript shapes of the Avro records in this folder (keep each in step with its .avsc file;
// test/schemas checks that sample values of these types encode).
import type { VisibilityReason } from './visibility.ts';

export type RunMarkerKind = 'START' | 'END' | 'ABORT';

export interface RunMarker {
  kind: RunMarkerKind;
  partition: number;
  partitions: number;
  pagesInPartition: number;
  pagesTotal: number;
  reason: string | null;
  at: number;
  replayOf: string | null;
  /** START of an incremental run: the version it builds on; null for a full run. */
  refresh: RefreshBase | null;
}

/** What an incremental run builds on. */
export interface RefreshBase {
  /** The run whose index is copied before this run's changes are applied. */
  baseRunId: string;
  /** When the last full run of this chain started (the full-refresh cadence counts from it). */
  fullAt: number;
}

/** A refresh: a page of the base version that is not in this one. */
export interface PageRemoval {
  pageId: string;
  reason: string;
}

export interface Space {
  id: string;
  key: string;
  name: string;
  /** global, personal, ... as Confluence reports it */
  type: string;
  status: string;
}

export interface RawPage {
  id: string;
  title: string;
  status: string;
  version: number;
  versionCreatedAt: string | null;
  parentId: string | null;
  space: Space;
  body: string;
  url: string;
  fetchedAt: number;
  /** Own read restriction; null: not known (not read, or the site refused to say). */
  restricted: boolean | null;
  /** An ancestor is read-restricted or invisible to the account; null: not known. */
  ancestorRestricted: boolean | null;
  /** Root first, the parent last. */
  ancestors: PageRef[];
  labels: string[];
  /** The last version's author. */
  authorId: string | null;
  /** Display names of the accounts the body mentions and of the author, those resolved. */
  users: UserRef[];
  /** As the source's policy decided at pull time; null in records from before the policy. */
  visibility: Visibility | null;
  visibilityReason: VisibilityReason | null;
  /** What the document depends on besides the body (producer/fingerprint.ts); null before refreshes. */
  fingerprint: string | null;
}

/**
 * A raw page as the producer holds it until it is sent: the body as its UTF-8 bytes, never decoded
 * (producer/body-bytes.ts). Avro writes a string and bytes alike, so its record is a RawPage's.
 */
export type RawPageBytes = Omit<RawPage, 'body'> & { body: Buffer };

/**
 * A refresh: a page whose version is the live document's but whose facts (and so its fingerprint)
 * changed: its new facts, sent without its body; the new version keeps the live HTML under them.
 */
export type FactsUpdate = Pick<
  RawPage,
  | 'id'
  | 'version'
  | 'space'
  | 'restricted'
  | 'ancestorRestricted'
  | 'ancestors'
  | 'labels'
  | 'visibility'
  | 'visibilityReason'
  | 'fetchedAt'
> & { fingerprint: string };

export interface PageRef {
  id: string;
  title: string;
}

export interface UserRef {
  accountId: string;
  displayName: string;
}

export type Visibility = 'internal' | 'public';

export interface HtmlPage {
  pageId: string;
  title: string;
  html: string;
  text: string;
  url: string;
  spaceKey: string;
  spaceName: string;
  spaceType: string;
  visibility: Visibility;
  version: number;
  updatedAt: string | null;
  /** `unrecorded` in records written before the policy existed. */
  visibilityReason: VisibilityReason | 'unrecorded';
  /** Ancestor titles, root first. */
  breadcrumbs: string[];
  labels: string[];
  /** Display name of the last version's author. */
  author: string | null;
  sections: Section[];
  /** The raw page's fingerprint, compared by the next refresh. */
  fingerprint: string | null;
  /** The converter version that made html, text and sections; empty in older records. */
  converter: string;
}

/** A FactsUpdate as the indexer applies it to the document copied from the base. */
export type HtmlFactsUpdate = Pick<
  HtmlPage,
  | 'pageId'
  | 'version'
  | 'spaceName'
  | 'spaceType'
  | 'visibility'
  | 'visibilityReason'
  | 'breadcrumbs'
  | 'labels'
> & { fingerprint: string };

/**
 * An HTML page as the indexer reads it: its long texts (html, text, each section's text) as their UTF-8
 * bytes, never decoded to JS strings (indexer/document.ts). Avro reads a string as bytes alike.
 */
export type HtmlPageBytes = Omit<HtmlPage, 'html' | 'text' | 'sections'> & {
  html: Buffer;
  text: Buffer;
  sections: (Omit<Section, 'text'> & { text: Buffer })[];
};

/** A stretch of a page's text under one heading. */
export interface Section {
  /** The heading's id, as Confluence makes it (`webui#anchor` opens it); empty before the first heading. */
  anchor: string;
  /** Heading titles from the top level down to this one. */
  path: string[];
  text: string;
}

export interface ConversionFailure {
  pageId: string;
  reason: string;
}

/** What every page event carries: the run it belongs to and the source it was pulled from. */
interface EventOf {
  runId: string;
  sourceId: string;
}

/**
 * The raw pages topic: exactly one of page / marker / removal / facts is set (the Avro record allows
 * any; readers check). `facts` came later: absent (null) in older records and left out by writers of
 * the other kinds.
 */
export type RawPageEvent = EventOf &
  (
    | { page: RawPage; marker: null; removal: null; facts?: null }
    | { page: null; marker: RunMarker; removal: null; facts?: null }
    | { page: null; marker: null; removal: PageRemoval; facts?: null }
    | { page: null; marker: null; removal: null; facts: FactsUpdate }
  );

/** A raw page event as the producer writes it: the page's body may be its UTF-8 bytes (RawPageBytes). */
export type RawPageEventToWrite =
  RawPageEvent | (EventOf & { page: RawPageBytes; marker: null; removal: null; facts?: null });

/** The HTML pages topic: exactly one of page / failure / marker / removal / facts is set (the indexer's pages: HtmlPageBytes). */
export type HtmlPageEvent<P extends HtmlPage | HtmlPageBytes = HtmlPage> = EventOf &
  (
    | { page: P; failure: null; marker: null; removal: null; facts?: null }
    | { page: null; failure: ConversionFailure; marker: null; removal: null; facts?: null }
    | { page: null; failure: null; marker: RunMarker; removal: null; facts?: null }
    | { page: null; failure: null; marker: null; removal: PageRemoval; facts?: null }
    | { page: null; failure: null; marker: null; removal: null; facts: HtmlFactsUpdate }
  );

/** An HTML-topic event as the indexer takes it: its page read as bytes (HtmlPageBytes), or as strings. */
export type IndexerEvent = HtmlPageEvent<HtmlPage | HtmlPageBytes>;
/** The indexer's PageOrFailureEvent. */
export type IndexerChange = PageOrFailureEvent<HtmlPage | HtmlPageBytes>;

/** An HTML-topic event that changes one page of the run's version: converted, failed, or removed. */
export type PageOrFailureEvent<P extends HtmlPage | HtmlPageBytes = HtmlPage> = Extract<
  HtmlPageEvent<P>,
  { marker: null }
>;

/** A marker event of either topic, once narrowed (`event.marker !== null`). */
export type MarkerEvent<E extends RawPageEvent | IndexerEvent> = Extract<E, { marker: RunMarker }>;

export interface DeadLetter {
  runId: string;
  sourceId: string;
  reason: string;
  page: RawPage;
  failedAt: number;
}

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface PartitionSpan {
  partition: number;
  start: string;
  end: string | null;
}

export interface Run {
  runId: string;
  sourceId: string;
  status: RunStatus;
  replayOf: string | null;
  /** An incremental run: the live run it applied its changes to; null for a full run. */
  baseRunId: string | null;
  startedAt: number;
  endedAt: number | null;
  spaces: number;
  pages: number;
  personalPages: number;
  /** An incremental run: pages kept from the base version without fetching their bodies. */
  unchanged: number;
  /** Pages of the base version not in this one. */
  removed: number;
  bytes: number;
  requests: number;
  retries: number;
  rateLimited: number;
  error: string | null;
  topic: string;
  offsets: PartitionSpan[];
}
