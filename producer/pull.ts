// How a run reads a site, independent of its shape: every space's pages are listed without bodies
// (cheap, a few spaces at a time, each big one from both ends); their facts (restrictions, ancestors,
// labels) are read by id, 200 at a time; and the bodies are fetched by id in batches of up to 250 —
// each stage by `concurrency` workers, so one space of 100,000 pages keeps as many requests in flight
// as many small spaces do. A refresh fetches only the bodies of pages whose version differs from the
// live document's; a page whose facts alone changed is sent as a facts update, without its body, and
// every other live page is kept as it is. Rate limits are the
// client's business (pace.ts); this only bounds what is queued. Each id is fetched at most once per
// run (a page moved mid-run lists twice).
import type { Logger } from '../lib/log.ts';
import type { FactsUpdate, Space } from '../schemas/index.ts';
import { ConfluenceError } from './confluence-client.ts';
import { IDS_PER_REQUEST, type ConfluenceSource } from './confluence-source.ts';
import type { Enricher, ListedPage } from './enrich.ts';
import type { LivePage } from './live-index.ts';
import { SEARCH_LIMIT } from './restrictions.ts';
import type { RunWriter } from './run-writer.ts';
import { createWakeUp } from '../lib/wake-up.ts';

export interface PullProgress {
  spacesDone: number;
  spacesTotal: number;
  listed: number;
}

/**
 * Why a page of the live version is not in the new one: `gone` — deleted, trashed, archived or no
 * longer readable, as Confluence says when asked by id; `out-of-scope` — now in a space outside the
 * source's scope.
 */
export const REMOVAL_REASONS = { gone: 'gone', outOfScope: 'out-of-scope' } as const;

export interface PullOptions {
  source: ConfluenceSource;
  /** What each batch of pages gets before it is sent: facts, users, the decision, the fingerprint. */
  enrich: Enricher;
  writer: RunWriter;
  spaces: Space[];
  /** Body requests in flight (the client's pool and pace bound every request anyway). */
  concurrency: number;
  signal: AbortSignal;
  log: Logger;
  onProgress: (p: PullProgress) => void;
  /**
   * What the live index holds (id → version), read while the site is listed. A listing is not a
   * snapshot: a page moved mid-run from a space not yet listed into one already listed is seen in neither. So every live id the listing missed
   * is asked for by id once the listing is done; a page still current is fetched and kept, and only the
   * rest — deleted, trashed, archived or no longer readable, as Confluence says — is dropped. So is a
   * page that now lives in a space outside the run's scope: the scope decides, not the live index.
   */
  live?: Promise<ReadonlyMap<string, LivePage>>;
  /**
   * A refresh: the live index is the base of the new version, so a listed page whose fingerprint matches
   * its live document's is kept without fetching its body, and a live page that is gone is removed.
   */
  incremental?: boolean;
}

/**
 * What a refresh does with a listed page of the base version: keeps its document (`unchanged`: same
 * version and fingerprint), sends its new facts without its body (`facts`: same version and space, so
 * the same HTML, but a parent trashed or moved, a restriction, a label or the policy changed its facts),
 * or fetches its body (a new version, a page moved to another space — its links resolve against it —,
 * or one the base does not hold). A full run has no base: every body.
 */
export function refreshChange(
  base: LivePage | undefined,
  facts: Pick<FactsUpdate, 'version' | 'fingerprint'>,
  spaceKey: string,
): 'unchanged' | 'facts' | 'body' {
  if (!base || base.version !== facts.version) return 'body';
  if (base.fingerprint === facts.fingerprint) return 'unchanged';
  // A base document without a fingerprint predates refreshes: it may lack fields a facts update sets.
  return base.fingerprint !== null && base.spaceKey === spaceKey ? 'facts' : 'body';
}

/** What the listing saw: every current page id with its version, the run's complete set of ids. */
export type Listed = Map<string, number>;

/**
 * Spaces listed at once: each holds up to two requests (both ends), so half the connections; the rest
 * read facts and fetch bodies meanwhile (with every connection listing, a refresh of 100,000 pages took
 * 21–22 s against 17–19 s). A listing's next pages go ahead of the searches and fetches waiting
 * (pace.ts): the biggest space's chain of pages, which sets a refresh's length, steps at the site's latency.
 */
const spacesListedAtOnce = (concurrency: number) => Math.max(1, Math.ceil(concurrency / 4));

/**
 * The order spaces are listed in: the biggest first, by how many pages the live version holds in each
 * (a space's listing is a chain of pages, so the longest chains must start first or they end last,
 * alone), and spaces it does not know before those — they might be big. Otherwise the site's order.
 */
export function listingOrder(spaces: readonly Space[], sizes?: ReadonlyMap<string, number>): Space[] {
  if (!sizes || sizes.size === 0) return [...spaces];
  const size = (s: Space) => sizes.get(s.key) ?? Infinity;
  return [...spaces].sort((a, b) => size(b) - size(a) || 0);
}

/** A bounded queue of id batches between two stages: `push` waits while it is full. */
function createBatchQueue<T>(capacity: number) {
  const batches: T[][] = [];
  let closed = false;
  const taken = createWakeUp(); // room for a push
  const pushed = createWakeUp(); // a batch for a take
  return {
    async push(batch: T[]) {
      while (batches.length >= capacity && !closed) await taken.next();
      batches.push(batch);
      pushed.wakeAll();
    },
    /** The next batch, or undefined once closed and drained. */
    async take(): Promise<T[] | undefined> {
      for (;;) {
        const batch = batches.shift();
        if (batch) {
          taken.wakeAll();
          return batch;
        }
        if (closed) return undefined;
        await pushed.next();
      }
    },
    close() {
      closed = true;
      pushed.wakeAll();
      taken.wakeAll();
    },
  };
}

/**
 * Runs `work` on every item, at most `limit` at once. The first failure aborts `failed` (which the
 * work's signal follows), the others wind down, and only then does this throw: nothing is left in flight.
 */
export async function eachBounded<T>(
  items: T[],
  limit: number,
  failed: AbortController,
  work: (item: T) => Promise<void>,
) {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !failed.signal.aborted) {
      await work(items[next++]!).catch((err: unknown) => failed.abort(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  failed.signal.throwIfAborted();
}

/** Lists every space, reads every listed page's facts, fetches and sends the bodies that changed; returns what was listed. */
export async function pullSite(opts: PullOptions, failed: AbortController): Promise<Listed> {
  const { source, writer, spaces, signal, log, live } = opts;
  const listed: Listed = new Map();
  const spaceIds = new Set(spaces.map((space) => space.id));
  const factsQueue = createBatchQueue<ListedPage>(opts.concurrency);
  const bodyQueue = createBatchQueue<string>(opts.concurrency);
  const closeAll = () => (factsQueue.close(), bodyQueue.close());
  let spacesDone = 0;
  const tick = () => opts.onProgress({ spacesDone, spacesTotal: spaces.length, listed: listed.size });
  signal.addEventListener('abort', closeAll, { once: true });

  /** Ids pushed in batches of `size` (the last one shorter, on flush). */
  const batcher = <T>(queue: ReturnType<typeof createBatchQueue<T>>, size: number) => {
    let pending: T[] = [];
    return {
      async add(item: T) {
        pending.push(item);
        if (pending.length < size) return;
        const batch = pending;
        pending = [];
        await queue.push(batch);
      },
      async flush() {
        if (pending.length > 0) await queue.push(pending.splice(0));
      },
    };
  };
  const toFacts = batcher(factsQueue, SEARCH_LIMIT);
  const toBodies = batcher(bodyQueue, IDS_PER_REQUEST);

  // Live ids the listing did not see, being confirmed by id, and those Confluence still serves.
  const confirming = new Set<string>();
  let kept = 0;

  const listing = eachBounded(spaces, spacesListedAtOnce(opts.concurrency), failed, async (space) => {
    try {
      for await (const refs of source.pageRefs(space, signal)) {
        const fresh = refs.filter((ref) => !listed.has(ref.id) && listed.set(ref.id, ref.version));
        opts.enrich.place(fresh);
        for (const ref of fresh) await toFacts.add({ ...ref, space });
        tick();
      }
    } catch (err) {
      if (!(err instanceof ConfluenceError && err.kind === 'not-found')) throw err;
      log.warn(
        { spaceId: space.id, spaceKey: space.key },
        'space disappeared during the run; its pages are gone',
      );
    }
    opts.enrich.spaceListed(space.id);
    spacesDone++;
    tick();
  }).then(() => toFacts.flush());
  listing
    .catch(() => {})
    .finally(() => {
      factsQueue.close();
      opts.enrich.listingDone();
    });

  // Facts first, for every listed page: they decide its visibility and, in a refresh, whether its
  // body is fetched at all (a restriction added in Confluence bumps no version). A worker waits for
  // its batch's own search only; the decision also waits for the facts of ancestors that other
  // batches, maybe not yet listed, ask for — so it runs on its own, or the workers could all end up
  // waiting for batches queued behind them.
  const deciding = new Set<Promise<void>>();
  const decide = async (refs: ListedPage[]) => {
    if (!opts.incremental) {
      // Every body is fetched: after its facts are known, but the decision is made once, as it is sent.
      await opts.enrich.known(refs, signal);
      for (const ref of refs) await toBodies.add(ref.id);
      return;
    }
    const facts = await opts.enrich.facts(refs, signal);
    const bases = await live;
    let unchanged = 0;
    const updates: FactsUpdate[] = [];
    for (const [i, ref] of refs.entries()) {
      const base = bases?.get(ref.id);
      const change = refreshChange(base, facts[i]!, ref.space.key);
      if (change === 'unchanged') unchanged++;
      else if (change === 'facts') updates.push(facts[i]!);
      else await toBodies.add(ref.id);
    }
    writer.keep(unchanged);
    if (updates.length === 0) return;
    const sending = writer.facts(updates);
    await sending.sent;
    await sending.acknowledged;
  };
  const fail = (err: unknown) => {
    failed.abort(err);
    closeAll();
  };
  const sorting = Array.from({ length: opts.concurrency }, async () => {
    try {
      for (let refs = await factsQueue.take(); refs && !signal.aborted; refs = await factsQueue.take()) {
        await opts.enrich.read(refs, signal);
        const decision = decide(refs).catch(fail);
        deciding.add(decision);
        void decision.finally(() => deciding.delete(decision));
      }
    } catch (err) {
      fail(err);
    }
  });
  // Once everything listed is sorted: the rest of the bodies, then the live ids to confirm.
  const sorted = Promise.allSettled([listing, ...sorting])
    .then(() => Promise.all(deciding))
    .then(async () => {
      if (signal.aborted) return;
      await toBodies.flush();
      const missing = [...((await live)?.keys() ?? [])].filter((id) => !listed.has(id));
      for (const id of missing) {
        confirming.add(id);
        await toBodies.add(id);
      }
      await toBodies.flush();
    })
    .finally(() => bodyQueue.close());

  const fetching = Array.from({ length: opts.concurrency }, async () => {
    let acknowledged: Promise<void> | undefined;
    try {
      for (let ids = await bodyQueue.take(); ids && !signal.aborted; ids = await bodyQueue.take()) {
        // A confirmed page outside the scope's spaces is as gone for this source as a deleted one.
        const fetched = await source.pagesById(ids, signal);
        const outOfScope = new Set(
          fetched.filter((p) => confirming.has(p.id) && !spaceIds.has(p.space.id)).map((p) => p.id),
        );
        const pages = await opts.enrich.pages(
          fetched.filter((p) => !outOfScope.has(p.id)),
          signal,
        );
        for (const page of pages) {
          if (!confirming.has(page.id)) continue;
          kept++;
          listed.set(page.id, page.version);
          log.info(
            { pageId: page.id, spaceKey: page.space.key },
            'page missed by the listing is still current: kept',
          );
        }
        // Live pages asked for and not kept leave the new version; ids the base never had need nothing.
        const returned = new Set(pages.map((p) => p.id));
        const base = await live;
        const removals = ids
          .filter((id) => !returned.has(id) && base?.has(id))
          .map((pageId) => ({
            pageId,
            reason: outOfScope.has(pageId) ? REMOVAL_REASONS.outOfScope : REMOVAL_REASONS.gone,
          }));
        for (const { pageId } of removals) listed.delete(pageId);
        await acknowledged; // at most one unacknowledged send per worker
        const sending = writer.pages(pages);
        const removing = writer.remove(removals);
        acknowledged = Promise.all([sending.acknowledged, removing.acknowledged]).then(() => {});
        acknowledged.catch(() => {}); // awaited below or on the next batch
        await Promise.all([sending.sent, removing.sent]);
      }
      await acknowledged;
    } catch (err) {
      failed.abort(err);
      closeAll();
    }
  });
  await Promise.all([sorted, ...fetching]);
  failed.signal.throwIfAborted();
  await listing;
  if (confirming.size > 0) {
    log.info(
      { missed: confirming.size, kept, gone: confirming.size - kept },
      'live pages the listing missed, confirmed by id',
    );
  }
  return listed;
}
