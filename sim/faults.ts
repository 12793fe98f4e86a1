// Fault injection decisions. Random faults are drawn from hash(seed, request URL, how many times
// that URL was asked for), so a given seed fails the same requests however the client interleaves
// them; scripted rules ("fail the next N requests to X", "fail space S's listing from now on")
// take precedence.
import { unit } from './rng.ts';

export const FAULT_KINDS = [
  '500',
  '502',
  '503',
  '429',
  'slow',
  'reset',
  'truncate',
  'corrupt',
  'absurd-retry-after',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRates = Partial<Record<FaultKind, number>>;

export interface FaultRule {
  id: number;
  kind: FaultKind;
  /** Exact request path, or a prefix when it ends with `*`. */
  path?: string;
  /** Matches requests that list this space's pages (v2 /spaces/{id}/pages, v2 /pages?space-id=, v1 content?spaceKey=). */
  spaceId?: number;
  /** Requests still to fail; absent = permanently, until the rule is removed. */
  remaining?: number;
}

export interface FaultTarget {
  method: string;
  path: string;
  /** Path plus query: the identity used for deterministic random faults. */
  url: string;
  listingSpaceIds: number[];
}

function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

/** Parses `500=0.01,503=0.02,reset=0.005` into rates; throws with a message naming the bad part. */
export function parseFaultSpec(spec: string): FaultRates {
  const rates: FaultRates = {};
  for (const part of spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [kind, value] = part.split('=');
    const rate = Number(value);
    if (!kind || !isFaultKind(kind) || value === undefined || !(rate >= 0 && rate <= 1)) {
      throw new Error(
        `Bad fault '${part}': expected KIND=RATE with KIND one of ${FAULT_KINDS.join(', ')} and RATE in [0, 1]`,
      );
    }
    rates[kind] = rate;
  }
  return rates;
}

function ruleMatches(rule: FaultRule, t: FaultTarget): boolean {
  if (rule.path !== undefined) {
    const ok = rule.path.endsWith('*') ? t.path.startsWith(rule.path.slice(0, -1)) : t.path === rule.path;
    if (!ok) return false;
  }
  return rule.spaceId === undefined || t.listingSpaceIds.includes(rule.spaceId);
}

export class Faults {
  rates: FaultRates;
  rules: FaultRule[] = [];
  private nextId = 1;
  private readonly seen = new Map<string, number>();
  private readonly seed: number;

  constructor(seed: number, rates: FaultRates = {}) {
    this.seed = seed;
    this.rates = rates;
  }

  addRule(rule: Omit<FaultRule, 'id'>): FaultRule {
    const full = { ...rule, id: this.nextId++ };
    this.rules.push(full);
    return full;
  }

  removeRule(id: number): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  clear(): void {
    this.rules = [];
    this.rates = {};
  }

  /** The fault to inject into this request, if any. Consumes one use of a counted rule. */
  decide(t: FaultTarget): FaultKind | undefined {
    const rule = this.rules.find((r) => ruleMatches(r, t));
    if (rule) {
      if (rule.remaining !== undefined && --rule.remaining <= 0) this.removeRule(rule.id);
      return rule.kind;
    }
    const active = FAULT_KINDS.filter((k) => (this.rates[k] ?? 0) > 0);
    if (active.length === 0) return undefined;
    const key = `${t.method} ${t.url}`;
    const n = this.seen.get(key) ?? 0;
    this.seen.set(key, n + 1);
    let r = unit(this.seed, 'fault', key, n);
    for (const kind of active) {
      r -= this.rates[kind] ?? 0;
      if (r < 0) return kind;
    }
    return undefined;
  }
}
