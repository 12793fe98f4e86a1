import { describe, expect, it } from 'vitest';
import {
  addsUp,
  closed,
  DEAD,
  decide,
  isDead,
  isDecided,
  isFlipped,
  isHeld,
  isOpen,
  isRefused,
  OPEN,
  RUN_STATUSES,
  WENT_LIVE,
  wentLive,
  pagesTotal,
  readiness,
  retention,
  rollbackTarget,
  shrinkHold,
  staleness,
  superseded,
  type EndSeen,
  type Facts,
  type KeptRun,
  type RunStatus,
} from '../../indexer/completion.ts';

const end = (pagesTotal: number): EndSeen => ({ pagesInPartition: 1, pagesTotal, at: 1 });
const ends = (n: number, total: number) =>
  Object.fromEntries(Array.from({ length: n }, (_, p) => [String(p), end(total)]));
const [A, B, C, D] = [
  '01JA0000000000000000000000',
  '01JB0000000000000000000000',
  '01JC0000000000000000000000',
  '01JD0000000000000000000000',
];

describe('readiness', () => {
  it('is open until END is seen on every partition', () => {
    expect(readiness({ partitions: 3, starts: {}, ends: { 0: end(5), 2: end(5) }, aborts: {} })).toEqual({
      state: 'open',
    });
    expect(readiness({ partitions: 3, starts: {}, ends: ends(3, 5), aborts: {} })).toEqual({
      state: 'complete',
    });
  });
  it('fails on one ABORT anywhere, even with ENDs elsewhere', () => {
    expect(
      readiness({
        partitions: 2,
        starts: {},
        ends: { 0: end(5) },
        aborts: { 1: { reason: '401 from Confluence', at: 1 } },
      }),
    ).toEqual({
      state: 'aborted',
      reason: 'aborted upstream: 401 from Confluence',
    });
  });
  it('is open when no marker said how many partitions there are', () => {
    expect(readiness({ partitions: 0, starts: {}, ends: {}, aborts: {} })).toEqual({ state: 'open' });
  });
});

describe('adding up', () => {
  it('needs indexed + failed to equal what the run emitted, exactly', () => {
    expect(addsUp({ pagesTotal: 10, docs: 9, failures: 1 })).toBeNull();
    expect(addsUp({ pagesTotal: 10, docs: 9, failures: 0 })).toBe(
      'does not add up: 9 pages indexed + 0 failed ≠ 10 emitted',
    );
    expect(addsUp({ pagesTotal: 10, docs: 11, failures: 0 })).not.toBeNull();
  });
  it('reads pagesTotal from the ENDs, which must agree', () => {
    expect(pagesTotal(ends(3, 7))).toBe(7);
    expect(pagesTotal({ 0: end(7), 1: end(8) })).toEqual({ disagree: [7, 8] });
  });
});

describe('guards', () => {
  it('holds a run that shrinks the live alias by more than the configured share', () => {
    expect(shrinkHold({ docs: 50, liveDocs: 100, maxShrink: 0.5 })).toBeNull();
    expect(shrinkHold({ docs: 49, liveDocs: 100, maxShrink: 0.5 })).toContain(
      '49 pages would replace 100 live',
    );
    expect(shrinkHold({ docs: 0, liveDocs: 0, maxShrink: 0.5 })).toBeNull();
    expect(shrinkHold({ docs: 89, liveDocs: 100, maxShrink: 0.1 })).not.toBeNull();
  });
  it('never lets an older run move the alias back', () => {
    expect(superseded(A, null)).toBeNull();
    expect(superseded(B, A)).toBeNull();
    expect(superseded(A, B)).toBe(`superseded: run ${B} already went live`);
  });
});

describe('decide', () => {
  const facts = (over: Partial<Facts> = {}): Facts => ({
    runId: C,
    ends: ends(3, 100),
    docs: 98,
    publicDocs: 98,
    failures: 2,
    live: { runId: B, docs: 100, publicDocs: 100 },
    newestLive: B,
    maxShrink: 0.5,
    maxAudienceShift: 0.5,
    release: false,
    ...over,
  });
  it('flips a complete run that adds up', () => {
    expect(decide(facts())).toEqual({ outcome: 'flip' });
    expect(decide(facts({ live: null, newestLive: null }))).toEqual({ outcome: 'flip' });
  });
  it('fails a run that does not add up, even when released', () => {
    expect(decide(facts({ docs: 97, release: true })).outcome).toBe('fail');
  });
  it('holds a shrinking run; a release overrides the shrink guard only', () => {
    const shrunk = { ends: ends(3, 40), docs: 40, failures: 0 };
    expect(decide(facts(shrunk)).outcome).toBe('hold');
    expect(decide(facts({ ...shrunk, release: true }))).toEqual({ outcome: 'flip' });
    expect(decide(facts({ ...shrunk, release: true, newestLive: D })).outcome).toBe('supersede');
  });
  it('holds a run that turns most live public pages internal, with both counts; a release flips it', () => {
    const shifted = { publicDocs: 10 }; // 98 pages, 88 of them now internal; live: 100 public
    const held = decide(facts(shifted));
    expect(held).toEqual({
      outcome: 'hold',
      reason: expect.stringMatching(
        /88 of 100 live public pages would become internal \(public 100 → 10, internal 0 → 88/,
      ),
    });
    expect(decide(facts({ ...shifted, release: true }))).toEqual({ outcome: 'flip' });
  });
  it('holds a run that turns most live internal pages public', () => {
    const live = { runId: B, docs: 100, publicDocs: 20 }; // 80 internal live
    expect(decide(facts({ live, publicDocs: 90 }))).toMatchObject({
      outcome: 'hold',
      reason: expect.stringMatching(/70 of 80 live internal pages would become public/),
    });
    expect(decide(facts({ live, publicDocs: 40 })).outcome).toBe('flip');
  });
  it('does not count pages only added or only deleted as moved', () => {
    // 40 new public pages and nothing internal: no page changed audience.
    expect(decide(facts({ docs: 140, publicDocs: 140, ends: ends(3, 142) })).outcome).toBe('flip');
  });
  it('supersedes an older run, also after a rollback made the live run older', () => {
    expect(decide(facts({ runId: A })).outcome).toBe('supersede');
    expect(decide(facts({ live: { runId: A, docs: 100, publicDocs: 100 }, newestLive: D })).outcome).toBe(
      'supersede',
    );
  });
  it('recognises a run the alias already points at (a crash after the flip)', () => {
    expect(decide(facts({ live: { runId: C, docs: 100, publicDocs: 100 }, newestLive: C }))).toEqual({
      outcome: 'already-live',
    });
  });
  it('fails when the ENDs disagree on the total', () => {
    expect(decide(facts({ ends: { 0: end(100), 1: end(99), 2: end(100) } }))).toEqual({
      outcome: 'fail',
      reason: 'END markers disagree on pagesTotal: 99, 100',
    });
  });
});

describe('retention', () => {
  const run = (runId: string, status: KeptRun['status'], extra: Partial<KeptRun> = {}): KeptRun => ({
    runId,
    index: `i-${runId}`,
    status,
    ...extra,
  });
  it('keeps the live version and the previous N, deletes older ones', () => {
    const runs = [run(A, 'flipped'), run(B, 'flipped'), run(C, 'flipped'), run(D, 'flipped')];
    expect(retention(runs, D, 1, 0)).toEqual([`i-${B}`, `i-${A}`]);
    expect(retention(runs, D, 2, 0)).toEqual([`i-${A}`]);
  });
  it('never deletes the live index, open or held runs', () => {
    const runs = [
      run(A, 'flipped'),
      run(B, 'held'),
      run(C, 'indexing'),
      run(D, 'failed', { deleteAfter: 0 }),
    ];
    expect(retention(runs, A, 1, 10)).toEqual([`i-${D}`]);
    expect(retention([run(A, 'failed', { deleteAfter: 0 })], A, 1, 10)).toEqual([]);
  });
  it('removes dead runs only after their grace period, and only once', () => {
    const runs = [
      run(A, 'superseded', { deleteAfter: 100 }),
      run(B, 'rolled-back', { deleteAfter: 50 }),
      run(C, 'failed', { deleteAfter: 10, deletedAt: 20 }),
    ];
    expect(retention(runs, null, 1, 60)).toEqual([`i-${B}`]);
    expect(retention(runs, null, 1, 100)).toEqual([`i-${A}`, `i-${B}`]);
  });
  it('keeps the base of an open refresh, and lets it go once the refresh is decided', () => {
    const runs = [
      run(A, 'flipped'),
      run(B, 'flipped'),
      run(C, 'flipped'),
      run(D, 'indexing', { baseRunId: A }),
    ];
    expect(retention(runs, C, 1, 0)).toEqual([]);
    expect(retention([...runs.slice(0, 3), run(D, 'failed', { baseRunId: A })], C, 1, 0)).toEqual([`i-${A}`]);
  });
  it('rolls back to the newest older version still kept', () => {
    const runs = [
      run(A, 'flipped'),
      run(B, 'flipped', { deletedAt: 1 }),
      run(C, 'failed'),
      run(D, 'flipped'),
    ];
    expect(rollbackTarget(runs, D)?.runId).toBe(A);
    expect(rollbackTarget(runs, A)).toBeNull();
  });
});

describe('staleness', () => {
  const minute = 60_000;
  const open = { status: 'indexing' as const, firstSeenAt: 0, lastActivityAt: 10 * minute };
  const at = (now: number, watchingSince = 0) => ({ now, staleMs: 360 * minute, watchingSince });

  it('fails an open run silent for the timeout since its last marker or page, with a reason to act on', () => {
    expect(staleness(open, at(10 * minute + 360 * minute - 1))).toBeNull();
    expect(staleness(open, at(10 * minute + 360 * minute))).toBe(
      'no END from the producer within 360 minutes: the producer likely died mid-run; the next run replaces it',
    );
  });
  it('counts from first sight when nothing was recorded since', () => {
    const seen = { status: 'indexing' as const, firstSeenAt: 5 * minute };
    expect(staleness(seen, at(365 * minute - 1))).toBeNull();
    expect(staleness(seen, at(365 * minute))).not.toBeNull();
  });
  it('counts only time the indexer was watching: a backlog after its downtime is not silence', () => {
    expect(staleness(open, at(1000 * minute, 999 * minute))).toBeNull();
    expect(staleness(open, at(1000 * minute, 640 * minute))).not.toBeNull();
  });
  it('never touches a run that is no longer open: a decision is final', () => {
    for (const status of ['held', 'flipped', 'failed', 'superseded', 'rolled-back'] as const)
      expect(staleness({ ...open, status }, at(10_000 * minute))).toBeNull();
  });
  it('states short timeouts in seconds', () => {
    expect(staleness(open, { now: 20 * minute, staleMs: 2000, watchingSince: 0 })).toMatch(
      /^no END from the producer within 2 seconds:/,
    );
  });
});

describe('closed', () => {
  it('is true for runs that can never go live, and runs whose index is gone', () => {
    expect(closed({ status: 'failed' })).toBe(true);
    expect(closed({ status: 'superseded' })).toBe(true);
    expect(closed({ status: 'flipped', deletedAt: 1 })).toBe(true);
    expect(closed({ status: 'indexing' })).toBe(false);
    expect(closed({ status: 'held' })).toBe(false);
  });
});

describe('status predicates', () => {
  const holds = (predicate: (run: { status: RunStatus }) => boolean) =>
    RUN_STATUSES.filter((status) => predicate({ status }));
  it('say what each status means, covering every status', () => {
    expect(holds(isOpen)).toEqual(['indexing']);
    expect(holds(isDecided)).toEqual(['held', 'flipped', 'failed', 'superseded', 'rolled-back']);
    expect(holds(isHeld)).toEqual(['held']);
    expect(holds(isFlipped)).toEqual(['flipped']);
    expect(holds(wentLive)).toEqual(['flipped', 'rolled-back']);
    expect(holds(isRefused)).toEqual(['failed', 'superseded']);
    expect(holds(isDead)).toEqual(['failed', 'superseded', 'rolled-back']);
  });
  it('agree with the status lists used in queries', () => {
    expect(holds(isOpen)).toEqual(OPEN);
    expect(holds(wentLive)).toEqual(WENT_LIVE);
    expect(holds(isDead)).toEqual(DEAD);
  });
});
