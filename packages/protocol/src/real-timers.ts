/** An opaque timer handle. */
export type TimerHandle = object;

/**
 * The clock and timers a session runs on: real ones by default; a simulator passes virtual ones (the
 * `VirtualScheduler` of this package fits) so a whole cluster runs on virtual time.
 */
export interface Timers {
  /** Milliseconds on a monotonic clock (any origin). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
}

/** `setImmediate` where the runtime has it (Node); browsers have none. */
const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
const clearImmediateOf = (globalThis as { clearImmediate?: (handle: unknown) => void }).clearImmediate;

/**
 * Real timers. Delays are unref'd where timers can be (Node), so a forgotten session never keeps the process
 * alive. A zero delay runs on `setImmediate`, ref'd: Node clamps `setTimeout(0)` to 1 ms, and the event loop does
 * not wake for an unref'd immediate (it sleeps in poll until the next timer or I/O), either of which would be most
 * of an idle node's write latency. An immediate lives for one turn of the loop, so keeping it ref'd keeps nothing
 * alive. In a browser, which has neither `setImmediate` nor `unref`, both are plain `setTimeout`.
 */
export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => {
    if (delayMs <= 0 && immediate !== undefined) return { immediate: immediate(callback) };
    const timer: unknown = setTimeout(callback, Math.max(0, delayMs));
    (timer as { unref?: () => void }).unref?.();
    return { timeout: timer };
  },
  clearTimeout: (timer) => {
    if ('immediate' in timer) clearImmediateOf?.((timer as { immediate: unknown }).immediate);
    else clearTimeout((timer as { timeout: ReturnType<typeof setTimeout> }).timeout);
  },
};

/** Calls `callback` every `intervalMs` on `timers` until the returned function is called. */
export function every(timers: Timers, intervalMs: number, callback: () => void): () => void {
  let handle: TimerHandle | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    handle = timers.setTimeout(tick, intervalMs);
    callback();
  };
  handle = timers.setTimeout(tick, intervalMs);
  return () => {
    stopped = true;
    if (handle !== undefined) timers.clearTimeout(handle);
  };
}
