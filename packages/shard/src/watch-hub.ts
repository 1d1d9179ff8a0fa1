import { isUnder } from '@statemesh/contracts';
import type { Change, ChangeListener } from './change.js';

interface Watcher {
  readonly prefix: string;
  readonly listener: ChangeListener;
  active: boolean;
}

/**
 * Delivers the changes of each applied batch to the listeners whose prefix they fall under: one call per batch
 * per listener, never re-entrantly (a listener that writes has its own changes queued until it returns).
 */
export class WatchHub {
  readonly #watchers: Watcher[] = [];
  readonly #queue: { watcher: Watcher; changes: Change[] }[] = [];
  #delivering = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  /** True when at least one listener is registered (so that changes are worth collecting). */
  get active(): boolean {
    return this.#watchers.length > 0;
  }

  /**
   * Registers a listener; returns the function that removes it. With `initial`, the listener's first call is
   * with those changes (even none), before any batch published later.
   */
  add(prefix: string, listener: ChangeListener, initial?: Change[]): () => void {
    const watcher: Watcher = { prefix, listener, active: true };
    this.#watchers.push(watcher);
    if (initial !== undefined) {
      this.#queue.push({ watcher, changes: initial });
      this.#deliver();
    }
    return () => {
      watcher.active = false;
      const at = this.#watchers.indexOf(watcher);
      if (at !== -1) this.#watchers.splice(at, 1);
    };
  }

  /** Queues one batch's changes for every interested listener and delivers the queue unless already delivering. */
  publish(changes: readonly Change[]): void {
    if (changes.length === 0) return;
    for (const watcher of this.#watchers) {
      const mine = watcher.prefix === '' ? changes.slice() : changes.filter((change) => isUnder(change.path, watcher.prefix));
      if (mine.length > 0) this.#queue.push({ watcher, changes: mine });
    }
    this.#deliver();
  }

  #deliver(): void {
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift()) {
        if (!item.watcher.active) continue;
        try {
          item.watcher.listener(item.changes);
        } catch (error) {
          this.onError(error);
        }
      }
    } finally {
      this.#delivering = false;
    }
  }
}
