/** One callback due at a time; `order` breaks ties so that equal times run in the order they were added. */
export interface TimedEntry {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

/** A min-heap of callbacks by (time, insertion order): deterministic ordering for equal times. */
export class TimerHeap {
  readonly #items: TimedEntry[] = [];
  #order = 0;
  #live = 0;

  /** Number of entries waiting (not cancelled). */
  get size(): number {
    return this.#live;
  }

  /** Adds `run` due at `at`; returns the entry (to {@link cancel} it). */
  push(at: number, run: () => void): TimedEntry {
    const entry: TimedEntry = { at, order: this.#order++, run, cancelled: false };
    const items = this.#items;
    items.push(entry);
    this.#live++;
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
    return entry;
  }

  /** The earliest entry not cancelled, if any. */
  peek(): TimedEntry | undefined {
    while (this.#items[0]?.cancelled === true) this.#removeTop();
    return this.#items[0];
  }

  /** Removes and returns the earliest entry not cancelled. */
  pop(): TimedEntry | undefined {
    const top = this.peek();
    if (top !== undefined) {
      this.#removeTop();
      this.#live--;
    }
    return top;
  }

  /** Cancels an entry: it will never be returned. Cancelled entries are dropped lazily. */
  cancel(entry: TimedEntry): void {
    if (entry.cancelled) return;
    entry.cancelled = true;
    this.#live--;
  }

  /** Drops every entry. */
  clear(): void {
    for (const entry of this.#items) entry.cancelled = true;
    this.#items.length = 0;
    this.#live = 0;
  }

  #removeTop(): void {
    const items = this.#items;
    const last = items.pop();
    if (last === undefined || items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < items.length && before(items[left]!, items[best]!)) best = left;
      if (right < items.length && before(items[right]!, items[best]!)) best = right;
      if (best === i) break;
      [items[i], items[best]] = [items[best]!, items[i]!];
      i = best;
    }
  }
}

function before(a: TimedEntry, b: TimedEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
