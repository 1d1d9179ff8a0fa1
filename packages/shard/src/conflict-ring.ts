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

/** How many recent conflicts are remembered to drop a second sighting of the same one. */
const REMEMBERED = 4096;

/**
 * The most recent conflicts, oldest overwritten first, each recorded once: the same loser seen losing to the same
 * winner again (the loser relayed once more, or in another catch-up) is not a new conflict.
 */
export class ConflictRing {
  readonly #items: (Conflict | undefined)[];
  #next = 0;
  #size = 0;
  readonly #keys = new Set<string>();
  readonly #keyOrder: string[] = [];
  #keyNext = 0;

  constructor(readonly capacity = 128) {
    this.#items = Array.from({ length: capacity }, () => undefined);
  }

  /** Adds a conflict, dropping the oldest one when full; false (and nothing added) when it was recorded recently. */
  push(conflict: Conflict): boolean {
    const key = `${conflict.path}\0${conflict.winner.origin}\0${conflict.winner.seq}\0${conflict.loser.origin}\0${conflict.loser.seq}`;
    if (this.#keys.has(key)) return false;
    if (this.#keyOrder.length < REMEMBERED) this.#keyOrder.push(key);
    else {
      this.#keys.delete(this.#keyOrder[this.#keyNext]!);
      this.#keyOrder[this.#keyNext] = key;
      this.#keyNext = (this.#keyNext + 1) % REMEMBERED;
    }
    this.#keys.add(key);
    this.#items[this.#next] = conflict;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size++;
    return true;
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
