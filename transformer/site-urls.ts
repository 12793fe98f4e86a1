// Absolute URLs on the Confluence site for what storage format names by title, key or file name.
// These are the forms Confluence Cloud itself resolves, so no lookup is needed at conversion time.

export interface PageContext {
  /** The site's wiki root, e.g. https://acme.atlassian.net/wiki (a trailing slash is ignored). */
  baseUrl: string;
  spaceKey: string;
  pageId: string;
  title: string;
  /** Display names by account id, for mentions (those the producer resolved). */
  users?: ReadonlyMap<string, string>;
}

const slug = (s: string): string => s.replace(/[\s-]+/g, '');

/** `Title With Spaces` → `Title+With+Spaces`, the form /display/ URLs use. */
const plus = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

export class SiteUrls {
  readonly base: string;
  readonly ctx: PageContext;
  /** The page being converted: relative links and same-page anchors resolve against it. */
  readonly page: string;

  constructor(ctx: PageContext) {
    this.ctx = ctx;
    this.base = ctx.baseUrl.replace(/\/+$/, '');
    this.page = `${this.base}/spaces/${encodeURIComponent(ctx.spaceKey)}/pages/${encodeURIComponent(ctx.pageId)}`;
  }

  pageByTitle(title: string, spaceKey = this.ctx.spaceKey): string {
    return `${this.base}/display/${encodeURIComponent(spaceKey)}/${plus(title)}`;
  }

  /** `postingDay` is storage format's YYYY/MM/DD. */
  blogPost(title: string, postingDay: string, spaceKey = this.ctx.spaceKey): string {
    const day = /^\d{4}\/\d{2}\/\d{2}$/.test(postingDay) ? `${postingDay}/` : '';
    return `${this.base}/display/${encodeURIComponent(spaceKey)}/${day}${plus(title)}`;
  }

  pageById(id: string): string {
    return `${this.base}/pages/viewpage.action?pageId=${encodeURIComponent(id)}`;
  }

  space(key: string): string {
    return `${this.base}/spaces/${encodeURIComponent(key)}`;
  }

  user(accountId: string): string {
    return `${this.base}/people/${encodeURIComponent(accountId)}`;
  }

  /** A file attached to the page with id `pageId` (this page by default). */
  attachment(filename: string, pageId = this.ctx.pageId): string {
    return `${this.base}/download/attachments/${encodeURIComponent(pageId)}/${encodeURIComponent(filename)}`;
  }

  /**
   * Confluence's anchor ids (anchor macros and headings alike): `<Title>-<Anchor>`, each without its
   * whitespace and hyphens ("Cosmere Test Child-Page", heading "h2 2" → `CosmereTestChildPage-h22`).
   */
  anchorId(anchor: string, pageTitle = this.ctx.title): string {
    return `${slug(pageTitle)}-${slug(anchor)}`;
  }

  anchor(pageUrl: string, anchor: string, pageTitle = this.ctx.title): string {
    return `${pageUrl}#${encodeURIComponent(this.anchorId(anchor, pageTitle))}`;
  }
}
