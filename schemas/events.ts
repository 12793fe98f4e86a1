// The page-event envelopes' one rule the Avro schemas cannot state: exactly one of page / failure /
// marker is set. Decoders check it once, so every reader
// after them narrows on the unions of types.ts instead of casting.
const slots = ['page', 'failure', 'marker'] as const;

/** Why a decoded envelope is not a page event (null when it is one). */
export function envelopeProblem(value: Record<string, unknown>): string | null {
  const set = slots.filter((slot) => value[slot] !== null && value[slot] !== undefined);
  if (set.length === 1) return null;
  return set.length === 0
    ? 'the envelope holds neither a page, a failure nor a marker'
    : `the envelope holds more than one of page, failure and marker (${set.join(', ')})`;
}
