import type { Timers } from '@statemesh/contracts';

/**
 * `Timers` for browsers: plain `setTimeout`, without the `unref` and `setImmediate` of the engine's default
 * timers, which browsers lack. (A zero delay may be clamped to 4 ms by a browser when timeouts nest deeply.)
 */
export const browserTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => ({ timeout: setTimeout(callback, Math.max(0, delayMs)) }),
  clearTimeout: (timer) => clearTimeout((timer as { timeout: ReturnType<typeof setTimeout> }).timeout),
};
