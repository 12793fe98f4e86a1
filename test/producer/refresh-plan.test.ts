import { describe, expect, it } from 'vitest';
import { planRefresh, type PlanInput } from '../../producer/refresh-plan.ts';

const DAY = 86_400_000;
const now = Date.parse('2026-12-01T12:00:00Z');
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  live: { runId: '01KBCDEFGHJKMNPQRSTVWXYZ01', fullAt: now - DAY, converters: ['1'] },
  converter: '1',
  fullEveryMs: 7 * DAY,
  forceFull: false,
  now,
  ...over,
});

describe('refresh plan', () => {
  it('builds on a sound live version: its run is the base, its full-run time carries on', () => {
    expect(planRefresh(input())).toEqual({
      kind: 'incremental',
      base: { baseRunId: '01KBCDEFGHJKMNPQRSTVWXYZ01', fullAt: now - DAY },
    });
  });

  it('is full on a first sync (no live version)', () => {
    expect(planRefresh(input({ live: null }))).toMatchObject({ kind: 'full', reason: 'first-sync' });
  });

  it('is full on demand, whatever the live version', () => {
    expect(planRefresh(input({ forceFull: true }))).toMatchObject({ kind: 'full', reason: 'on-demand' });
  });

  it('is full when any live document was made by another converter (or by none)', () => {
    for (const converters of [['0'], ['1', '0'], ['']]) {
      const plan = planRefresh(input({ live: { ...input().live!, converters } }));
      expect(plan).toMatchObject({ kind: 'full', reason: 'converter' });
      if (plan.kind === 'full')
        expect(plan.detail).toContain(JSON.stringify(converters.find((c) => c !== '1')));
    }
  });

  it('is full once the last full run is as old as the cadence, not before', () => {
    const at = (age: number) => input({ live: { ...input().live!, fullAt: now - age } });
    expect(planRefresh(at(7 * DAY))).toMatchObject({ kind: 'full', reason: 'cadence' });
    expect(planRefresh(at(7 * DAY - 1)).kind).toBe('incremental');
  });

  it('cadence 0: every run is full; never: age alone never is', () => {
    expect(planRefresh(input({ fullEveryMs: 0 }))).toMatchObject({ kind: 'full', reason: 'cadence' });
    const old = { ...input().live!, fullAt: now - 365 * DAY };
    expect(planRefresh(input({ fullEveryMs: null, live: old })).kind).toBe('incremental');
  });

  it('is full when the base is unusable: no single run index, or no recorded full-run time', () => {
    expect(planRefresh(input({ live: { ...input().live!, runId: null } }))).toMatchObject({
      kind: 'full',
      reason: 'base-unusable',
    });
    expect(planRefresh(input({ live: { ...input().live!, fullAt: null } }))).toMatchObject({
      kind: 'full',
      reason: 'base-unusable',
    });
  });
});
