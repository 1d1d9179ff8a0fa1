/** An opaque timer handle. */
export type TimerHandle = object;

/**
 * The clock and timers a node runs on. Everything that waits (heartbeats, request timeouts, redial backoff,
 * hydration retries, the pump) goes through one of these, so a simulator that passes virtual timers runs a whole
 * cluster on virtual time. Real timers never keep the process alive.
 */
export interface Timers {
  /** Milliseconds on a monotonic clock (any origin). */
  now(): number;
  /** Milliseconds since the Unix epoch, as the node's wall clock says (skewed on purpose in simulations). */
  wallNow?(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(timer: TimerHandle): void;
}
