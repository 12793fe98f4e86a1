// Operations on what the indexer did: list runs, roll an alias back, release a held run. Each fails
// fast with a message a person can act on (no waiting out outages here: an operator is watching).
import type { Elasticsearch } from '../lib/elasticsearch.ts';
import { UserError } from '../lib/errors.ts';
import type { Logger } from '../lib/log.ts';
import { aliasHolders, moveAlias } from '../indexer/alias.ts';
import { isFlipped, isHeld, rollbackTarget, type RunState } from '../indexer/completion.ts';
import type { IndexerConfig } from '../indexer/config.ts';
import { createFinalizer } from '../indexer/finalize.ts';
import { createRunStore } from '../indexer/run-state.ts';
import { aliasName } from '../indexer/index-names.ts';

export interface RunRow extends RunState {
  /** The alias points at this run's index now. */
  live: boolean;
  /** From all ENDs seen to the alias moving. */
  flipMs: number | null;
}

export async function listRuns(
  es: Elasticsearch,
  cfg: IndexerConfig,
  filter: { sourceId?: string; limit?: number } = {},
): Promise<RunRow[]> {
  const store = createRunStore(es, cfg.services.indexPrefix);
  if (!(await es.indices.exists({ index: store.index }))) return [];
  const runs = await store.list(filter);
  const live = new Set<string>();
  for (const sourceId of new Set(runs.map((r) => r.sourceId)))
    for (const index of await aliasHolders(es, aliasName(cfg.services.indexPrefix, sourceId)))
      live.add(index);
  return runs.map((r) => ({
    ...r,
    live: live.has(r.index),
    flipMs: r.flippedAt && r.completedAt ? r.flippedAt - r.completedAt : null,
  }));
}

export function formatRuns(rows: RunRow[]): string {
  if (rows.length === 0) return 'no runs recorded\n';
  const iso = (ms: number | null | undefined) =>
    ms ? new Date(ms).toISOString().slice(0, 19).replace('T', ' ') : '-';
  const table = [
    [
      'SOURCE',
      'RUN',
      'MODE',
      'STATUS',
      'PAGES',
      'FAILED',
      'EMITTED',
      'FIRST SEEN',
      'FLIP MS',
      'INDEX',
      'WHY',
    ],
    ...rows.map((r) => [
      r.sourceId,
      r.runId + (r.replayOf ? ` (replay of ${r.replayOf})` : ''),
      r.baseRunId ? `refresh of ${r.baseRunId}` : 'full',
      r.live ? 'live' : r.deletedAt ? `${r.status}, deleted` : r.status,
      String(r.docs ?? '-'),
      String(r.failures ?? '-'),
      String(r.pagesTotal ?? '-'),
      iso(r.firstSeenAt),
      r.flipMs === null ? '-' : String(r.flipMs),
      r.index,
      r.reason ?? '',
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return (
    table
      .map((row) =>
        row
          .map((cell, i) => cell.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

/** Moves the alias back to the previous kept version, in one `_aliases` call. */
export async function rollback(
  es: Elasticsearch,
  cfg: IndexerConfig,
  sourceId: string,
): Promise<{ from: RunState; to: RunState }> {
  const prefix = cfg.services.indexPrefix;
  const alias = aliasName(prefix, sourceId);
  const store = createRunStore(es, prefix);
  const runs = await store.list({ sourceId });
  const [liveIndex] = await aliasHolders(es, alias);
  const from = runs.find((r) => r.index === liveIndex);
  if (!from)
    throw new UserError(
      `No live run for source ${sourceId}: alias ${alias} points at nothing the indexer recorded`,
      {
        hint: 'Check the source id with `ops runs`.',
      },
    );
  const to = rollbackTarget(runs, from.runId);
  if (!to)
    throw new UserError(`No earlier version of ${sourceId} is kept to roll back to`, {
      hint: 'Retention keeps INDEX_KEEP_PREVIOUS versions; `ops runs --source` shows what is left.',
    });
  await moveAlias(es, alias, to.index);
  await store.update(from.runId, {
    status: 'rolled-back',
    reason: `rolled back by an operator to ${to.runId}`,
    decidedAt: Date.now(),
    deleteAfter: Date.now() + cfg.deadRunGraceMs,
  });
  return { from, to };
}

/** Flips a held run: it must still add up and be newer than anything live; only the shrink and audience guards are waived. */
export async function release(
  es: Elasticsearch,
  cfg: IndexerConfig,
  runId: string,
  log: Logger,
): Promise<RunState> {
  const store = createRunStore(es, cfg.services.indexPrefix);
  const run = await store.get(runId);
  if (!run) throw new UserError(`No run ${runId} recorded`, { hint: 'List runs with `ops runs`.' });
  if (!isHeld(run))
    throw new UserError(`Run ${runId} is ${run.status}, not held: only held runs can be released`, {
      hint: 'List runs and their status with `ops runs`.',
    });
  const finalizer = createFinalizer({ es, cfg, store, log });
  const after = (await finalizer.finalize(runId, { release: true }))!;
  if (!isFlipped(after))
    throw new UserError(
      `Run ${runId} was not flipped: ${after.status}${after.reason ? ` (${after.reason})` : ''}`,
      {
        hint: 'Release waives only the shrink and audience-shift guards: the run must still add up and be newer than the live one.',
      },
    );
  return after;
}
