// The per-page parts of listings and searches, rendered once and kept while the page is unchanged. A
// refresh lists every page of a site and asks for every page's facts again though few changed; rendering
// and stringifying those parts was most of what serving it cost the simulator (bench/README.md,
// "Simulator CPU per served answer"). A part is reused only while every field of its page is what it was rendered from (pages
// change in place: SimState's mutations), and for the same variant (expansions, site URL); ~1.5 KB a page.
import { WrittenJson } from './answer.ts';
import type { Page } from './model.ts';

/** Which part of a page: its v2 listing entry (no body), or its v1 search result (no ancestors). */
type Kind = 'listing' | 'search';

/** Every field of a page a rendering can read, the body aside (no kept part carries one). */
const FIELDS = [
  'spaceId',
  'parentId',
  'position',
  'title',
  'status',
  'version',
  'authorId',
  'createdAt',
  'modifiedAt',
  'restricted',
  'labels', // setLabels replaces the array, so the reference tells
] as const;
type Fields = Pick<Page, (typeof FIELDS)[number]>;

/** A part's JSON, its variant and the fields it was rendered from (in one object: ~1.5 KB a page in all). */
interface Kept extends Fields {
  variant: string;
  bytes: Buffer;
}

const unchanged = (k: Kept, p: Page): boolean => FIELDS.every((f) => k[f] === p[f]);

export class RenderedParts {
  // By page id (ids are never reused): a WeakMap of 200,000 pages made every major collection slower.
  private readonly kept: Record<Kind, Map<number, Kept>> = { listing: new Map(), search: new Map() };

  /** `render()`'s JSON for this page and variant: kept from an earlier call while the page is unchanged. */
  of(page: Page, kind: Kind, variant: string, render: () => unknown): WrittenJson {
    const hit = this.kept[kind].get(page.id);
    if (hit && hit.variant === variant && unchanged(hit, page)) return new WrittenJson(hit.bytes);
    const bytes = Buffer.from(JSON.stringify(render()));
    const fields = Object.fromEntries(FIELDS.map((f) => [f, page[f]])) as Fields;
    this.kept[kind].set(page.id, { ...fields, variant, bytes });
    return new WrittenJson(bytes);
  }
}
