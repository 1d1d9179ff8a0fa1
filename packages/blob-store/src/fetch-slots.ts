/**
 * A bound on work in flight: `acquire` resolves with a release function once one of `limit` slots is free, in
 * the order asked; a waiter whose signal aborts leaves the queue (resolving undefined).
 */
export class FetchSlots {
  readonly #limit: number;
  readonly #waiting: { grant: (release: () => void) => void; signal: AbortSignal | undefined }[] = [];
  #busy = 0;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Slots taken right now. */
  get busy(): number {
    return this.#busy;
  }

  /** A release function once a slot is free; undefined when `signal` aborted first. */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted === true) return Promise.resolve(undefined);
    if (this.#busy < this.#limit) {
      this.#busy++;
      return Promise.resolve(this.#release());
    }
    return new Promise((resolve) => {
      const waiter = {
        signal,
        grant: (release: () => void) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const onAbort = (): void => {
        const at = this.#waiting.indexOf(waiter);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next === undefined) this.#busy--;
      else next.grant(this.#release()); // the slot passes straight to the next waiter
    };
  }
}
