import type { SnapshotPage } from '@statemesh/contracts';

/** Snapshot pages as they arrive, handed to the one reader in order; fails once with an error. */
export class PageQueue {
  readonly #pages: SnapshotPage[] = [];
  #waiter: { resolve: (page: SnapshotPage) => void; reject: (error: unknown) => void } | undefined;
  #error: unknown;
  #failed = false;

  /** Adds a page. */
  push(page: SnapshotPage): void {
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      waiter.resolve(page);
    } else this.#pages.push(page);
  }

  /** Makes the reader fail with `error` once the pages already queued are read. */
  fail(error: unknown): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#error = error;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.reject(error);
  }

  /** The next page, waiting for it if needed. */
  next(): Promise<SnapshotPage> {
    const page = this.#pages.shift();
    if (page !== undefined) return Promise.resolve(page);
    if (this.#failed) return Promise.reject(this.#error as Error);
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }
}
