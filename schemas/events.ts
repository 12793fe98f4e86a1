// The page-event envelopes' one rule the Avro schemas cannot state: exactly one of page / failure /
// marker / removal / facts is set. Decoders check it once, so every reader
// after them narrows on the unions of types.ts instead of casting.
import type { IndexerChange } from './types.ts';

const slots = ['page', 'failure', 'marker', 'removal', 'facts'] as const;

/** Why a decoded envelope is not a page event (null when it is one). */
export function envelopeProblem(value: Record<string, unknown>): string | null {
  const set = slots.filter((slot) => value[slot] !== null && value[slot] !== undefined);
  if (set.length === 1) return null;
  return set.length === 0
    ? 'the envelope holds neither a page, a failure, a marker, a removal nor a facts update'
    : `the envelope holds more than one of page, failure, marker, removal and facts (${set.join(', ')})`;
}

/** The page an event that changes the run's version is about. */
export function pageIdOf(event: IndexerChange): string {
  if (event.page) return event.page.pageId;
  if (event.facts) return event.facts.pageId;
  return event.failure ? event.failure.pageId : event.removal.pageId;
}
