// Durations as people write them in flags, variables and API bodies: `90s`, `30m`, `4h`, `1d`.
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `4h` → 14 400 000; undefined when the text is not a positive whole number and a unit. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(text.trim());
  const n = m ? Number(m[1]) : 0;
  return m && n > 0 ? n * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}

/** The largest unit that divides `ms` exactly: 14 400 000 → `4h`, 5 400 000 → `90m`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const)
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}
