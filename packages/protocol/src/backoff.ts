/** Settings of the redial delay of a lost peer: it starts at `initialMs` and doubles up to `maxMs`. */
export interface ReconnectOptions {
  /** First delay after a failure, in ms (default 50). */
  readonly initialMs?: number;
  /** Ceiling of the delay, in ms (default 5 000). */
  readonly maxMs?: number;
}

/**
 * Exponential backoff with "equal jitter": attempt n waits a random time in [d/2, d], d = min(max, initial·2^n).
 * The jitter keeps many nodes that lost the same peer from redialling it in lockstep; the lower half keeps a
 * floor so that a dead peer is not hammered.
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: { initialMs: number; maxMs: number; random?: () => number }) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#random = options.random ?? Math.random;
  }

  /** Failures since the last {@link Backoff.reset}. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next attempt; each call counts one failure. */
  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  /** Back to the initial delay (after a successful connection). */
  reset(): void {
    this.#attempt = 0;
  }
}
