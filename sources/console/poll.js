// @ts-check
// Refreshing a view while it is shown: the next call starts only after the last one finished, and
// stops for good when the view goes away.

/**
 * @param {() => Promise<void>} tick
 * @param {number} everyMs
 * @returns {() => void} stop
 */
export function poll(tick, everyMs) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const loop = async () => {
    try {
      await tick();
    } finally {
      if (!stopped) timer = setTimeout(loop, everyMs);
    }
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
