// `run --every`: one run per slot, never two at once. A run that overruns its slot skips the slots it
// covered (no catch-up burst); a failed run is logged and the next slot comes as usual.

/** The first slot after `now` on the grid `firstStart + k * everyMs`. */
export function nextSlot(firstStart: number, everyMs: number, now: number): number {
  const k = Math.floor((now - firstStart) / everyMs) + 1;
  return firstStart + Math.max(1, k) * everyMs;
}
