/** An opaque handle returned by {@link Scheduler.setTimeout}. */
export type SchedulerTimer = object;

/**
 * The clock and timers a {@link MemoryNetwork} runs on. Real timers by default; a simulator passes a
 * {@link VirtualScheduler} (or its own) to run a whole cluster on virtual time.
 */
export interface Scheduler {
  /** Current time in milliseconds (any origin; only differences matter). */
  now(): number;
  /** Calls `callback` once after `delayMs`. */
  setTimeout(callback: () => void, delayMs: number): SchedulerTimer;
  /** Cancels a timer; a no-op for a timer that already ran or was cleared. */
  clearTimeout(timer: SchedulerTimer): void;
}

/** The default {@link Scheduler}: `performance.now()` (monotonic) and the global timers. */
export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
};
