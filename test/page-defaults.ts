// What test pages carry besides the fields a test is about: a raw page the site says nothing restricts
// (no decision recorded, so the transformer decides), and an HTML page with no sections or breadcrumbs.
import type { HtmlPage, RawPage } from '../schemas/index.ts';

export const RAW_PAGE_DEFAULTS = {
  restricted: false,
  ancestorRestricted: false,
  ancestors: [],
  labels: [],
  authorId: null,
  users: [],
  visibility: null,
  visibilityReason: null,
  fingerprint: null,
} satisfies Partial<RawPage>;

export const HTML_PAGE_DEFAULTS = {
  visibilityReason: 'default',
  breadcrumbs: [],
  labels: [],
  author: null,
  sections: [],
  fingerprint: null,
  converter: '',
} satisfies Partial<HtmlPage>;

/** A public HTML page of version 3 in the ENG space of acme.atlassian.net, holding `text`. */
export function htmlPage(pageId: string, text: string, extra: Partial<HtmlPage> = {}): HtmlPage {
  return {
    ...HTML_PAGE_DEFAULTS,
    pageId,
    title: `Title ${pageId}`,
    html: `<p>${text}</p>`,
    text,
    url: `https://acme.atlassian.net/wiki/spaces/ENG/pages/${pageId}`,
    spaceKey: 'ENG',
    spaceName: 'Engineering',
    spaceType: 'global',
    visibility: 'public',
    version: 3,
    updatedAt: null,
    ...extra,
  };
}
