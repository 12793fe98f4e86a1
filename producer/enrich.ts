// What a page record carries beyond its listing: the site's restriction facts, ancestors and labels,
// the display names of the people it names, the visibility the source's policy gives it, and its
// fingerprint. Everything but the names is known before the body: a refresh compares the fingerprint
// to decide whether to fetch the body at all.
import { decideVisibility, type FactsUpdate, type RawPageBytes, type Space } from '../schemas/index.ts';
import { fingerprintOf, type FingerprintContext } from './fingerprint.ts';
import type { PageFactsOf, PagePlace } from './page-facts.ts';
import type { SiteFacts } from './restrictions.ts';
import { accountsOf, type UserDirectory } from './users.ts';

/** A page as listed: enough for its facts, its decision and its fingerprint. */
export interface ListedPage extends PagePlace {
  id: string;
  version: number;
  space: Space;
}

/** The facts, decision and fingerprint a page gets, from what is known before its body. */
export function pageFacts(
  page: ListedPage,
  facts: { of(pageId: string): PageFactsOf },
  ctx: FingerprintContext,
): Omit<FactsUpdate, 'id' | 'version' | 'space' | 'fetchedAt'> {
  const f = facts.of(page.id);
  const decision = decideVisibility({ space: page.space, ...f }, ctx.policy);
  // One object, its fingerprint filled in place (a page's facts were copied into four objects); its
  // version and space are the page's own, so spreading it over the page or a facts update changes nothing.
  const decided = {
    ...f,
    visibility: decision.visibility,
    visibilityReason: decision.reason,
    version: page.version,
    space: page.space,
    fingerprint: '',
  };
  decided.fingerprint = fingerprintOf(decided, ctx);
  return decided;
}

export interface Enricher {
  /** Where listed pages sit, as they are listed: their ancestors come from the listing. */
  place(pages: readonly PagePlace[]): void;
  /** Asks for listed pages' own facts (not yet their ancestors'): see SiteFacts.read. */
  read(pages: readonly PagePlace[], signal?: AbortSignal): Promise<void>;
  /** A space, or the whole listing, is over: what fingerprints still wait for is asked for. */
  spaceListed(spaceId: string): void;
  listingDone(): void;
  /**
   * Waits until everything the pages' decisions need is known, as `facts` does, without deciding: a full
   * run fetches every body anyway, and decides as each is sent (`pages`).
   */
  known(pages: ListedPage[], signal?: AbortSignal): Promise<void>;
  /** Pages as they are sent: facts, people's names, decision and fingerprint. */
  pages(pages: RawPageBytes[], signal?: AbortSignal): Promise<RawPageBytes[]>;
  /**
   * What each listed page's document would get besides its body — facts, decision, fingerprint — read
   * in bulk before any body: a refresh compares the fingerprint, and sends a page whose body it keeps
   * but whose facts changed as this facts update.
   */
  facts(pages: ListedPage[], signal?: AbortSignal): Promise<FactsUpdate[]>;
}

/** Facts are read by id in bulk and kept for the run; a batch's users are looked up together. */
export function createEnricher(opts: {
  facts: SiteFacts;
  users: UserDirectory;
  ctx: FingerprintContext;
}): Enricher {
  const { facts, users, ctx } = opts;
  return {
    place: (pages) => facts.place(pages),
    read: (pages, signal) => facts.read(pages, signal),
    spaceListed: (spaceId) => facts.spaceListed(spaceId),
    listingDone: () => facts.listingDone(),
    known: (pages, signal) => facts.load(pages, signal),
    async pages(pages, signal) {
      await facts.load(pages, signal);
      const accounts = pages.map(accountsOf); // each body scanned once
      await users.resolve(accounts.flat(), signal);
      return pages.map((p, i) => ({ ...p, ...pageFacts(p, facts, ctx), users: users.refs(accounts[i]!) }));
    },
    async facts(pages, signal) {
      await facts.load(pages, signal);
      const fetchedAt = Date.now();
      return pages.map((p) => {
        const decided = pageFacts(p, facts, ctx);
        return { id: p.id, version: p.version, space: p.space, ...decided, fetchedAt };
      });
    },
  };
}
