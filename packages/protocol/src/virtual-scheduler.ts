import type { TimerHandle, Timers } from '@statemesh/contracts';
import { TimerHeap } from './timer-heap.js';
import type { TimedEntry } from './timer-heap.js';

/**
 * Timers on virtual time: nothing happens until {@link advance} moves the clock, and then timers run
 * in (time, creation) order, each followed by the promise callbacks it caused. The same program therefore gives
 * the same run, at any machine speed.
 */
export class VirtualScheduler implements Timers {
  readonly #timers = new TimerHeap();
  #now: number;

  /** Starts the clock at `startMs` (default 0). */
  constructor(startMs = 0) {
    this.#now = startMs;
  }

  /** The virtual time in milliseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at now + `delayMs` (negative counts as 0). */
  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    return this.#timers.push(this.#now + Math.max(0, delayMs), callback);
  }

  /** Cancels a timer made by {@link setTimeout}. */
  clearTimeout(timer: TimerHandle): void {
    this.#timers.cancel(timer as TimedEntry);
  }

  /** Timers waiting to run. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves the clock forward by `ms`, running every timer due on the way in order; after each, lets pending
   * promise callbacks run (one macrotask turn) so that async work a timer started can finish at that instant.
   */
  async advance(ms: number): Promise<void> {
    const until = this.#now + Math.max(0, ms);
    await VirtualScheduler.#settle();
    for (;;) {
      const next = this.#timers.peek();
      if (next === undefined || next.at > until) break;
      this.#timers.pop();
      this.#now = Math.max(this.#now, next.at);
      next.run();
      await VirtualScheduler.#settle();
    }
    this.#now = until;
  }

  static #settle(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
  }
}
