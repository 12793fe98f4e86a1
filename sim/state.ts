// The simulator's mutable world: the generated site and its users (users.ts), the queries on them (what a
// listing may ask for: queries.ts) and the mutations of the admin API.
// No I/O here; the HTTP layer renders what these methods return.
import { emitBody, generateAdf, generateBody, type BodyContext, type LinkTarget } from './content.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import type { Page, PageStatus, Site, Space, SpaceStatus, SpaceType } from './model.ts';
import { keysetPage, orderBy, type Cursor, type Ordering, type Slice } from './paging.ts';
import type { Rng } from './rng.ts';
import { PAGE_SORT_KEYS, SPACE_SORT_KEYS, ordering, type PageQuery, type SpaceQuery } from './queries.ts';
import type { MadeOfParts } from './pieces.ts';
import { RenderedParts } from './rendered.ts';
import { SimUsers, type User } from './users.ts';

export class SimState {
  readonly seed: number;
  readonly accountIds: string[];
  private readonly spaces: Space[];
  private pages: Page[];
  private readonly pagesById = new Map<number, Page>();
  readonly users: SimUsers;
  /** Listing entries and search results of pages, kept while their pages are unchanged. */
  readonly rendered = new RenderedParts();
  private nextId: number;
  /** Bumped on every mutation; sorted views are cached per revision. */
  private revision = 0;
  private readonly orderCache = new Map<string, { revision: number; items: unknown[] }>();
  private readonly now: () => number;
  /** Link targets are drawn from the generated pages, so a body does not change when others are added. */
  private readonly linkPool: Int32Array;

  constructor(site: Site, users: User[], now: () => number = Date.now) {
    this.seed = site.seed;
    this.accountIds = site.accountIds;
    this.spaces = site.spaces;
    this.pages = site.pages;
    for (const p of this.pages) this.pagesById.set(p.id, p);
    this.users = new SimUsers(users);
    this.nextId = (this.pages.at(-1)?.id ?? 65_536) + 1;
    this.now = now;
    this.linkPool = Int32Array.from(this.pages.filter((p) => p.status === 'current').map((p) => p.id));
  }

  // ---- lookups and permissions

  space(idOrKey: number | string): Space | undefined {
    const n = typeof idOrKey === 'number' ? idOrKey : /^\d+$/.test(idOrKey) ? Number(idOrKey) : NaN;
    return this.spaces.find((s) => s.id === n || s.key === idOrKey);
  }

  private requireSpace(idOrKey: number | string): Space {
    const s = this.space(idOrKey);
    if (!s) throw new NotFoundError(`No space ${idOrKey}`);
    return s;
  }

  page(id: number): Page | undefined {
    return this.pagesById.get(id);
  }

  private requirePage(id: number): Page {
    const p = this.pagesById.get(id);
    if (!p) throw new NotFoundError(`No page ${id}`);
    return p;
  }

  canSeeSpace(user: User, space: Space): boolean {
    return user.access === 'full' || (user.access === 'limited' && !user.hiddenSpaceKeys.includes(space.key));
  }

  /** View restrictions inherit down the tree, as in Confluence. */
  canSeePage(user: User, page: Page): boolean {
    const space = this.spaces.find((s) => s.id === page.spaceId);
    if (!space || !this.canSeeSpace(user, space)) return false;
    if (user.access === 'full') return true;
    for (
      let p: Page | undefined = page, hops = 0;
      p && hops < 1000;
      p = this.pagesById.get(p.parentId), hops++
    ) {
      if (p.restricted) return false;
    }
    return true;
  }

  /** Pages the default full-access user would pull: status current, in any space. */
  currentPageCount(): number {
    let n = 0;
    for (const p of this.pages) if (p.status === 'current') n++;
    return n;
  }

  allSpaces(): readonly Space[] {
    return this.spaces;
  }

  spaceOf(page: Page): Space {
    return this.requireSpace(page.spaceId);
  }

  // ---- queries

  private ordered<T extends { id: number }>(name: string, items: T[], o: Ordering<T>): T[] {
    if (o.sort === 'id') return items; // stored in id order already
    const hit = this.orderCache.get(`${name}|${o.sort}`);
    if (hit && hit.revision === this.revision) return hit.items as T[];
    const sorted = orderBy(items, o);
    this.orderCache.set(`${name}|${o.sort}`, { revision: this.revision, items: sorted });
    return sorted;
  }

  listSpaces(
    user: User,
    q: SpaceQuery,
    sort: string,
    after: Cursor | undefined,
    limit: number,
  ): Slice<Space> {
    const o = ordering(sort, SPACE_SORT_KEYS);
    const spaces = this.ordered('spaces', this.spaces, o);
    return keysetPage(spaces, o, after, limit, (s) => this.spaceMatches(user, s, q));
  }

  /** All matching spaces, for offset-paged v1 listings. */
  filterSpaces(user: User, q: SpaceQuery): Space[] {
    return this.spaces.filter((s) => this.spaceMatches(user, s, q));
  }

  private spaceMatches(user: User, s: Space, q: SpaceQuery): boolean {
    return (
      !q.matchNone &&
      this.canSeeSpace(user, s) &&
      (!q.ids || q.ids.includes(s.id)) &&
      (!q.keys || q.keys.includes(s.key)) &&
      (!q.type || q.type === s.type) &&
      (!q.status || q.status === s.status)
    );
  }

  listPages(user: User, q: PageQuery, sort: string, after: Cursor | undefined, limit: number): Slice<Page> {
    const o = ordering(sort, PAGE_SORT_KEYS);
    if (q.ids) {
      // By id: looked up, as a database would, not scanned for (a 250-id batch on a 100k-page site).
      const byId = [...new Set(q.ids)].flatMap((id) => this.pagesById.get(id) ?? []);
      const chosen = orderBy(byId, o);
      return keysetPage(chosen, o, after, limit, (p) => this.pageMatches(user, p, q));
    }
    // A single-space listing scans that space's pages only.
    const scope = q.spaceIds?.length === 1 ? q.spaceIds[0] : undefined;
    const base =
      scope === undefined
        ? this.pages
        : this.ordered(`space:${scope}`, this.pagesIn(scope), ordering('id', PAGE_SORT_KEYS));
    const items = this.ordered(scope === undefined ? 'pages' : `space:${scope}`, base, o);
    return keysetPage(items, o, after, limit, (p) => this.pageMatches(user, p, q));
  }

  /** All matching pages in id order, for offset-paged v1 listings. */
  filterPages(user: User, q: PageQuery): Page[] {
    // By id: looked up, not scanned for (CQL `id in (…)` batches on a 100k-page site).
    const pool = q.ids
      ? [...new Set(q.ids)].flatMap((id) => this.pagesById.get(id) ?? []).sort((a, b) => a.id - b.id)
      : this.pages;
    return pool.filter((p) => this.pageMatches(user, p, q));
  }

  private pagesIn(spaceId: number): Page[] {
    const hit = this.orderCache.get(`in:${spaceId}`);
    if (hit && hit.revision === this.revision) return hit.items as Page[];
    const items = this.pages.filter((p) => p.spaceId === spaceId);
    this.orderCache.set(`in:${spaceId}`, { revision: this.revision, items });
    return items;
  }

  private pageMatches(user: User, p: Page, q: PageQuery): boolean {
    return (
      (q.statuses.includes(p.status) || (!!q.includeDrafts && p.status === 'draft')) &&
      (!q.spaceIds || q.spaceIds.includes(p.spaceId)) &&
      (!q.ids || q.ids.includes(p.id)) &&
      (q.title === undefined || q.title === p.title) &&
      (!q.rootOnly || p.parentId === 0) &&
      this.canSeePage(user, p)
    );
  }

  /** The page's storage body: the admin-supplied one, else regenerated from the seed. */
  body(page: Page): string {
    return page.body ?? generateBody(this.bodyContext(page));
  }

  /** The same for an answer: the admin-supplied text, else the generator, which answer.ts writes as bytes. */
  bodySource(page: Page): string | MadeOfParts {
    if (page.body !== undefined) return page.body;
    const ctx = this.bodyContext(page);
    return (emit) => emitBody(ctx, emit);
  }

  private bodyContext(page: Page): BodyContext {
    const space = this.spaceOf(page);
    return {
      seed: this.seed,
      pageId: page.id,
      version: page.version,
      title: page.title,
      spaceKey: space.key,
      accountIds: this.accountIds,
      linkTarget: (rng) => this.linkTarget(rng),
      fullCatalogue: space.homepageId === page.id,
    };
  }

  adfBody(page: Page): string {
    return generateAdf(page.title);
  }

  private linkTarget(rng: Rng): LinkTarget | undefined {
    if (this.linkPool.length === 0) return undefined;
    // A purged target leaves no link; a renamed one is linked by its new title, as Confluence does.
    const p = this.pagesById.get(this.linkPool[rng.int(this.linkPool.length)] as number);
    const space = p && this.spaces.find((s) => s.id === p.spaceId);
    return p && space ? { title: p.title, spaceKey: space.key } : undefined;
  }

  /** The current page titled so in the space (titles are unique among a space's live pages). */
  findPageByTitle(spaceId: number, title: string): Page | undefined {
    return this.pages.find((p) => p.spaceId === spaceId && p.title === title && p.status === 'current');
  }

  /** Parent chain, root first (v1 `expand=ancestors`). */
  ancestorsOf(page: Page): Page[] {
    const chain: Page[] = [];
    for (
      let p = this.pagesById.get(page.parentId);
      p && chain.length < 1000;
      p = this.pagesById.get(p.parentId)
    ) {
      chain.unshift(p);
    }
    return chain;
  }

  // ---- mutations (admin API)

  private touch(): void {
    this.revision++;
    this.orderCache.clear();
  }

  private assertTitleFree(spaceId: number, title: string, except?: number): void {
    if (
      this.pages.some(
        (p) => p.spaceId === spaceId && p.title === title && p.id !== except && p.status !== 'trashed',
      )
    ) {
      throw new ConflictError(`A page titled "${title}" already exists in this space`);
    }
  }

  addPage(input: {
    space: number | string;
    title?: string;
    parentId?: number;
    body?: string;
    status?: PageStatus;
    restricted?: boolean;
  }): Page {
    const space = this.requireSpace(input.space);
    const parent = input.parentId ? this.requirePage(input.parentId) : undefined;
    if (parent && parent.spaceId !== space.id) throw new ConflictError('The parent page is in another space');
    const id = this.nextId++;
    const title = input.title ?? `New page ${id}`;
    this.assertTitleFree(space.id, title);
    const now = this.now();
    const page: Page = {
      id,
      spaceId: space.id,
      parentId: parent?.id ?? 0,
      position: this.pages.filter((p) => p.spaceId === space.id && p.parentId === (parent?.id ?? 0)).length,
      title,
      status: input.status ?? 'current',
      version: 1,
      authorId: this.accountIds[0] ?? '',
      createdAt: now,
      modifiedAt: now,
      restricted: input.restricted ?? false,
      ...(input.body !== undefined ? { body: input.body } : {}),
    };
    this.pages.push(page); // ids only grow, so id order is kept
    this.pagesById.set(id, page);
    if (space.homepageId === 0) space.homepageId = id;
    this.touch();
    return page;
  }

  /** A new version: new title and/or body; without a body the next generated version is served. */
  editPage(id: number, input: { title?: string; body?: string; status?: PageStatus }): Page {
    const page = this.requirePage(id);
    if (input.title !== undefined && input.title !== page.title)
      this.assertTitleFree(page.spaceId, input.title, id);
    if (input.title !== undefined) page.title = input.title;
    if (input.body !== undefined) page.body = input.body;
    if (input.status !== undefined) page.status = input.status;
    page.version++;
    page.modifiedAt = this.now();
    this.touch();
    return page;
  }

  /** Trash the page (children move up to its parent), or purge it entirely. */
  deletePage(id: number, purge = false): void {
    const page = this.requirePage(id);
    for (const child of this.pages) if (child.parentId === id) child.parentId = page.parentId;
    if (purge) {
      this.pages = this.pages.filter((p) => p.id !== id);
      this.pagesById.delete(id);
      const space = this.spaceOf(page);
      if (space.homepageId === id) space.homepageId = 0;
    } else {
      page.status = 'trashed';
      page.version++;
      page.modifiedAt = this.now();
    }
    this.touch();
  }

  /** Move under another parent and/or into another space; descendants move with it. */
  movePage(id: number, input: { parentId?: number; space?: number | string }): Page {
    const page = this.requirePage(id);
    const parent = input.parentId ? this.requirePage(input.parentId) : undefined;
    const space =
      input.space !== undefined
        ? this.requireSpace(input.space)
        : parent
          ? this.spaceOf(parent)
          : this.spaceOf(page);
    if (parent && parent.spaceId !== space.id) throw new ConflictError('The parent page is in another space');
    for (let p = parent; p; p = this.pagesById.get(p.parentId)) {
      if (p.id === id) throw new ConflictError('Cannot move a page under its own descendant');
    }
    if (space.id !== page.spaceId) {
      this.assertTitleFree(space.id, page.title, id);
      for (const d of this.descendants(id)) d.spaceId = space.id;
    }
    page.spaceId = space.id;
    page.parentId = parent?.id ?? 0;
    page.version++;
    page.modifiedAt = this.now();
    this.touch();
    return page;
  }

  private descendants(id: number): Page[] {
    const out: Page[] = [];
    const frontier = [id];
    while (frontier.length) {
      const parent = frontier.pop();
      for (const p of this.pages) {
        if (p.parentId === parent) {
          out.push(p);
          frontier.push(p.id);
        }
      }
    }
    return out;
  }

  setRestricted(id: number, restricted: boolean): Page {
    const page = this.requirePage(id);
    page.restricted = restricted;
    this.touch();
    return page;
  }

  setLabels(id: number, labels: string[]): Page {
    const page = this.requirePage(id);
    page.labels = [...new Set(labels.map((l) => l.toLowerCase()))];
    this.touch();
    return page;
  }

  /** Deleting a space removes it and all its pages, as a space purge does. */
  deleteSpace(idOrKey: number | string): void {
    const space = this.requireSpace(idOrKey);
    this.spaces.splice(this.spaces.indexOf(space), 1);
    this.pages = this.pages.filter((p) => {
      if (p.spaceId !== space.id) return true;
      this.pagesById.delete(p.id);
      return false;
    });
    this.touch();
  }

  updateSpace(
    idOrKey: number | string,
    input: { type?: SpaceType; status?: SpaceStatus; name?: string },
  ): Space {
    const space = this.requireSpace(idOrKey);
    if (input.type) space.type = input.type;
    if (input.status) space.status = input.status;
    if (input.name) space.name = input.name;
    this.touch();
    return space;
  }

  /** What anonymous visitors see: the spaces granted to anonymous, never restricted pages. */
  anonymousUser(spaceKeys: readonly string[]): User {
    return {
      email: '',
      token: '',
      accountId: '',
      access: 'limited',
      hiddenSpaceKeys: this.spaces.map((s) => s.key).filter((k) => !spaceKeys.includes(k)),
      anonymous: true,
    };
  }
}
