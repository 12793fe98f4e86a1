// Full or incremental? A pure rule over what the live index says (live-index.ts reads it): a refresh
// fetches only the bodies that changed, so it may build on the live version only when that version is
// a sound base — one converter made all of it, its run is known, and the last full run is recent enough.
import type { RefreshBase } from '../schemas/index.ts';

/** Why a run fetches every body. */
export type FullReason = 'first-sync' | 'on-demand' | 'base-unusable' | 'converter' | 'cadence';

export type RefreshPlan =
  { kind: 'full'; reason: FullReason; detail: string } | { kind: 'incremental'; base: RefreshBase };

/** The live version as the plan needs it; null when the source has no live alias yet. */
export interface LiveBase {
  /** The run whose index the alias points at; null when the alias does not name one run's index. */
  runId: string | null;
  /** When the last full run of the live version's chain started; null when not known. */
  fullAt: number | null;
  /** Every `converter` value the live documents carry ('' for documents that have none). */
  converters: readonly string[];
}

export interface PlanInput {
  live: LiveBase | null;
  /** transformer/convert.ts CONVERTER_VERSION. */
  converter: string;
  /** Full at least this often; 0: every run is full; null: never for age alone. */
  fullEveryMs: number | null;
  /** `producer run --full`, or a full run asked for through the sources service. */
  forceFull: boolean;
  now: number;
}

const full = (reason: FullReason, detail: string): RefreshPlan => ({ kind: 'full', reason, detail });

export function planRefresh(p: PlanInput): RefreshPlan {
  if (p.forceFull) return full('on-demand', 'a full run was asked for');
  const { live } = p;
  if (!live) return full('first-sync', 'the source has no live version yet');
  if (live.runId === null)
    return full('base-unusable', 'the live alias does not point at exactly one run index');
  if (live.fullAt === null)
    return full(
      'base-unusable',
      'the indexer recorded no full-run time for the live run (one that cannot build refreshes, or a run from before them)',
    );
  const others = live.converters.filter((c) => c !== p.converter);
  if (others.length > 0)
    return full(
      'converter',
      `live documents were converted by converter ${others.map((c) => JSON.stringify(c)).join(', ')}, ` +
        `this one is ${JSON.stringify(p.converter)}`,
    );
  if (p.fullEveryMs === 0) return full('cadence', 'every run is full (PRODUCER_FULL_REFRESH_EVERY=0)');
  if (p.fullEveryMs !== null && p.now - live.fullAt >= p.fullEveryMs)
    return full(
      'cadence',
      `the last full run started ${new Date(live.fullAt).toISOString()}, longer ago than PRODUCER_FULL_REFRESH_EVERY`,
    );
  return { kind: 'incremental', base: { baseRunId: live.runId, fullAt: live.fullAt } };
}
