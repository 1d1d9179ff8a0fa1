/** One side of a conflict: which write it was. */
export interface ConflictWrite {
  readonly origin: string;
  readonly seq: number;
  readonly hlc: bigint;
}

/** A write that lost to a concurrent write of another origin at the same path. */
export interface Conflict {
  readonly path: string;
  /** The write that is kept. */
  readonly winner: ConflictWrite;
  /** The write that lost. */
  readonly loser: ConflictWrite;
  /** Wall-clock milliseconds (this replica's clock) when the conflict was detected. */
  readonly at: number;
}

/** The most recent conflicts, oldest overwritten first. */
export class ConflictRing {
  readonly #items: (Conflict | undefined)[];
  #next = 0;
  #size = 0;

  constructor(readonly capacity = 128) {
    this.#items = Array.from({ length: capacity }, () => undefined);
  }

  /** Adds a conflict, dropping the oldest one when full. */
  push(conflict: Conflict): void {
    this.#items[this.#next] = conflict;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
  }

  /** Up to `max` conflicts, most recent first. */
  recent(max = this.capacity): Conflict[] {
    const out: Conflict[] = [];
    const count = Math.min(Math.max(0, Math.floor(max)), this.#size);
    for (let i = 1; i <= count; i++) {
      const item = this.#items[(this.#next - i + this.capacity) % this.capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }

  /** Number of conflicts held (at most `capacity`). */
  get size(): number {
    return this.#size;
  }
}
