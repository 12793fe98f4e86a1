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
