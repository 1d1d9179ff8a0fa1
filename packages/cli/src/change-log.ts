/** One line of the dashboard's recent changes. */
export interface LoggedChange {
  /** Increasing from 1: a page asks for the changes after the last id it has. */
  readonly id: number;
  /** Epoch milliseconds when this node applied it. */
  readonly at: number;
  /** The change as the event streams show it; or, for the rest of a large batch, how many more it held. */
  readonly change: unknown;
}

/** The most recent changes, at most `capacity` of them: what the dashboard polls, in bounded memory. */
export class ChangeLog {
  readonly #capacity: number;
  readonly #items: LoggedChange[] = [];
  #last = 0;

  constructor(capacity = 100) {
    this.#capacity = capacity;
  }

  /** The id of the latest change (0 before the first). */
  get last(): number {
    return this.#last;
  }

  /** Records one change (or a summary). */
  add(change: unknown, at = Date.now()): void {
    this.#items.push({ id: ++this.#last, at, change });
    if (this.#items.length > this.#capacity) this.#items.splice(0, this.#items.length - this.#capacity);
  }

  /** The changes after `id` still held, oldest first. */
  after(id: number): LoggedChange[] {
    return this.#items.filter((item) => item.id > id);
  }
}
