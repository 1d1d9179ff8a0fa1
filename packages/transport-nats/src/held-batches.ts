import type { CheckedMutation } from '@statemesh/contracts';

/**
 * The live batches a starting node holds, in order, while it reads the log: at most `limit` mutations. Past the
 * limit they are dropped, all of them, and the buffer says it overflowed: the log has them (each live batch is
 * in the stream), so the node reads the log again from where it reached instead of holding without bound.
 */
export class HeldBatches {
  #batches: Array<{ from: string; mutations: CheckedMutation[] }> = [];
  #count = 0;
  #overflowed = false;
  /** Mutations held at most. */
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Whether the buffer dropped what it held since the last {@link take}. */
  get overflowed(): boolean {
    return this.#overflowed;
  }

  push(from: string, mutations: CheckedMutation[]): void {
    if (this.#overflowed) return;
    this.#count += mutations.length;
    if (this.#count > this.limit) {
      this.#batches = [];
      this.#count = 0;
      this.#overflowed = true;
      return;
    }
    this.#batches.push({ from, mutations });
  }

  /** What is held, in order, and a fresh start. */
  take(): Array<{ from: string; mutations: CheckedMutation[] }> {
    const batches = this.#batches;
    this.#batches = [];
    this.#count = 0;
    this.#overflowed = false;
    return batches;
  }
}
