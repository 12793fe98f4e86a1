// How a run reads a site, independent of its shape: every space's pages are listed without bodies
// (cheap, a few spaces at a time, each big one from both ends), and the bodies are fetched by id in
// batches of up to 250 by `concurrency` workers, so one space of 100,000 pages keeps as many requests
// in flight as many small spaces do. Rate limits are the client's business (pace.ts); this only
// bounds what is queued. Each id is fetched at most once per run (a page moved mid-run lists twice).
import type { Logger } from '../lib/log.ts';
import type { Space } from '../schemas/index.ts';
import { ConfluenceError } from './confluence-client.ts';
import { IDS_PER_REQUEST, type ConfluenceSource, type PageRef } from './confluence-source.ts';
import type { Enrich } from './enrich.ts';
import type { RunWriter } from './run-writer.ts';

export interface PullProgress {
  spacesDone: number;
  spacesTotal: number;
  listed: number;
}

export interface PullOptions {
  source: ConfluenceSource;
  /** What each batch of pages gets before it is sent: restrictions, users, the visibility decision. */
  enrich: Enrich;
  writer: RunWriter;
  spaces: Space[];
  /** Body requests in flight (the client's pool and pace bound every request anyway). */
  concurrency: number;
  signal: AbortSignal;
  log: Logger;
  onProgress: (p: PullProgress) => void;
  /**
   * What the live index holds (id → version). A listing is not a snapshot: a page moved mid-run from a
   * space not yet listed into one already listed is seen in neither. So every live id the listing missed
   * is asked for by id once the listing is done; a page still current is fetched and kept, and only the
   * rest — deleted, trashed, archived or no longer readable, as Confluence says — is dropped. So is a
   * page that now lives in a space outside the run's scope: the scope decides, not the live index.
   */
  live?: ReadonlyMap<string, number>;
}

/** What the listing saw: every current page id with its version, the run's complete set of ids. */
export type Listed = Map<string, number>;

/** Spaces listed at once: each holds up to two requests (both ends), so a quarter of the connections. */
const spacesListedAtOnce = (concurrency: number) => Math.max(1, Math.ceil(concurrency / 4));

/**
 * A bounded queue of id batches between the listing and the body workers: `push` waits while it is
 * full, so listing runs ahead of fetching by at most `capacity` batches.
 */
function createBatchQueue(capacity: number) {
  const batches: string[][] = [];
  let closed = false;
  const takers: (() => void)[] = [];
  const pushers: (() => void)[] = [];
  const wakeAll = (waiters: (() => void)[]) => waiters.splice(0).forEach((w) => w());
  return {
    async push(batch: string[]) {
      while (batches.length >= capacity && !closed) await new Promise<void>((r) => pushers.push(r));
      batches.push(batch);
      wakeAll(takers);
    },
    /** The next batch, or undefined once closed and drained. */
    async take(): Promise<string[] | undefined> {
      for (;;) {
        const batch = batches.shift();
        if (batch) {
          wakeAll(pushers);
          return batch;
        }
        if (closed) return undefined;
        await new Promise<void>((r) => takers.push(r));
      }
    },
    close() {
      closed = true;
      wakeAll(takers);
      wakeAll(pushers);
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

/** Lists every space and fetches and sends every listed page's body; returns what was listed. */
export async function pullSite(opts: PullOptions, failed: AbortController): Promise<Listed> {
  const { source, writer, spaces, signal, log } = opts;
  const listed: Listed = new Map();
  const spaceIds = new Set(spaces.map((space) => space.id));
  const queue = createBatchQueue(opts.concurrency);
  let spacesDone = 0;
  const tick = () => opts.onProgress({ spacesDone, spacesTotal: spaces.length, listed: listed.size });
  signal.addEventListener('abort', () => queue.close(), { once: true });

  let pending: string[] = [];
  // Live ids the listing did not see, being confirmed by id, and those Confluence still serves.
  const confirming = new Set<string>();
  let kept = 0;
  const enqueue = async (refs: PageRef[]) => {
    for (const ref of refs) {
      if (listed.has(ref.id)) continue;
      listed.set(ref.id, ref.version);
      pending.push(ref.id);
      if (pending.length === IDS_PER_REQUEST) {
        const batch = pending;
        pending = [];
        await queue.push(batch);
      }
    }
  };

  const listing = eachBounded(spaces, spacesListedAtOnce(opts.concurrency), failed, async (space) => {
    try {
      for await (const refs of source.pageRefs(space, signal)) {
        await enqueue(refs);
        tick();
      }
    } catch (err) {
      if (!(err instanceof ConfluenceError && err.kind === 'not-found')) throw err;
      log.warn(
        { spaceId: space.id, spaceKey: space.key },
        'space disappeared during the run; its pages are gone',
      );
    }
    spacesDone++;
    tick();
  }).then(async () => {
    if (pending.length > 0) await queue.push(pending);
    const missing = [...(opts.live?.keys() ?? [])].filter((id) => !listed.has(id));
    for (const id of missing) confirming.add(id);
    for (let i = 0; i < missing.length; i += IDS_PER_REQUEST) {
      await queue.push(missing.slice(i, i + IDS_PER_REQUEST));
    }
  });
  listing.catch(() => {}).finally(() => queue.close());

  const fetching = Array.from({ length: opts.concurrency }, async () => {
    let acknowledged: Promise<void> | undefined;
    try {
      for (let ids = await queue.take(); ids && !signal.aborted; ids = await queue.take()) {
        // A confirmed page outside the scope's spaces is as gone for this source as a deleted one.
        const fetched = (await source.pagesById(ids, signal)).filter(
          (page) => !confirming.has(page.id) || spaceIds.has(page.space.id),
        );
        const pages = await opts.enrich(fetched, signal);
        for (const page of pages) {
          if (!confirming.has(page.id)) continue;
          kept++;
          listed.set(page.id, page.version);
          log.info(
            { pageId: page.id, spaceKey: page.space.key },
            'page missed by the listing is still current: kept',
          );
        }
        await acknowledged; // at most one unacknowledged send per worker
        const sending = writer.pages(pages);
        acknowledged = sending.acknowledged;
        acknowledged.catch(() => {}); // awaited below or on the next batch
        await sending.sent;
      }
      await acknowledged;
    } catch (err) {
      failed.abort(err);
      queue.close();
    }
  });
  await Promise.all([listing.catch(() => {}), ...fetching]);
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
