// The converter's entry point: Confluence storage format → sanitized HTML and plain text.
import { CONFLUENCE_HANDLERS } from './confluence.ts';
import { HTML_HANDLERS } from './html-elements.ts';
import { type Handler, type RenderedSection, Renderer } from './render.ts';
import { type PageContext, SiteUrls } from './site-urls.ts';
import { parseStorage } from './storage-parser.ts';

export type { PageContext };

/**
 * The converter's version, recorded on every document. Raise it with any change to what a page converts
 * to: the next run of every source is then a full one (producer/refresh-plan.ts), so no document made
 * by an older converter stays live.
 */
export const CONVERTER_VERSION = '1';

export interface Converted {
  html: string;
  /** Readable text for search and snippets: one line per block, no markup. */
  text: string;
  /** The text split at headings, each part with its heading's id and path. */
  sections: RenderedSection[];
}

export type ConversionFailure = 'invalid-input' | 'too-large' | 'invalid-context' | 'internal-error';

/** A page that cannot be converted; `reason` is for the dead-letter record. */
export class ConversionError extends Error {
  readonly reason: ConversionFailure;

  constructor(reason: ConversionFailure, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConversionError';
    this.reason = reason;
  }
}

/** Far above Confluence's own page size limit; beyond it a body is not a page. */
const MAX_STORAGE_CHARS = 64 * 1024 * 1024;

const HANDLERS: ReadonlyMap<string, Handler> = new Map(
  Object.entries({ ...HTML_HANDLERS, ...CONFLUENCE_HANDLERS }),
);

function checkContext(ctx: PageContext): void {
  let base: URL | null = null;
  try {
    base = new URL(ctx.baseUrl);
  } catch {
    // reported below
  }
  if (base === null || (base.protocol !== 'https:' && base.protocol !== 'http:')) {
    throw new ConversionError(
      'invalid-context',
      `base URL must be an absolute http(s) URL, got ${JSON.stringify(ctx.baseUrl)}`,
    );
  }
  for (const field of ['spaceKey', 'pageId', 'title'] as const) {
    if (typeof ctx[field] !== 'string')
      throw new ConversionError('invalid-context', `${field} must be a string`);
  }
}

/**
 * Converts one page body. Malformed markup never throws: it is repaired or dropped. Throws
 * ConversionError only for input that is not a page body at all, a bad context, or a converter bug.
 */
export function convertPage(storage: string, ctx: PageContext): Converted {
  if (typeof storage !== 'string')
    throw new ConversionError('invalid-input', `storage must be a string, got ${typeof storage}`);
  if (storage.length > MAX_STORAGE_CHARS) {
    throw new ConversionError(
      'too-large',
      `storage is ${storage.length} characters, the limit is ${MAX_STORAGE_CHARS}`,
    );
  }
  checkContext(ctx);
  try {
    // NUL is never content, and HTML parsers each treat it differently.
    const source = storage.includes('\0') ? storage.replaceAll('\0', '') : storage;
    const renderer = new Renderer(new SiteUrls(ctx), HANDLERS);
    renderer.render(parseStorage(source).children);
    return { html: renderer.html, text: renderer.text, sections: renderer.sections };
  } catch (err) {
    throw new ConversionError('internal-error', `conversion failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
