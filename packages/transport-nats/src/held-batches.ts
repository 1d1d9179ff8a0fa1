import type { CheckedMutation } from '@statemesh/contracts';

/** One live batch held: its sender, what of it this node keeps, and its message's name (batch-headers.ts). */
export interface HeldBatch {
  readonly from: string;
  readonly mutations: CheckedMutation[];
  readonly name: string | undefined;
}

/**
 * The live batches a starting node holds, in order, while it reads the log: at most `limit` mutations. Past the
 * limit they are dropped, all of them, and the buffer says it overflowed: the log has them (each live batch is
 * in the stream), so the node reads the log again from where it reached instead of holding without bound.
 */
export class HeldBatches {
  #batches: HeldBatch[] = [];
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

  push(from: string, mutations: CheckedMutation[], name: string | undefined): void {
    if (this.#overflowed) return;
    this.#count += mutations.length;
    if (this.#count > this.limit) {
      this.#batches = [];
      this.#count = 0;
      this.#overflowed = true;
      return;
    }
    this.#batches.push({ from, mutations, name });
  }

  /** What is held, in order, and a fresh start. */
  take(): HeldBatch[] {
    const batches = this.#batches;
    this.#batches = [];
    this.#count = 0;
    this.#overflowed = false;
    return batches;
  }
}
