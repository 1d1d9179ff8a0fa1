import type { StatemeshError } from '@statemesh/contracts';

interface Run<T> {
  readonly controller: AbortController;
  readonly promise: Promise<T>;
  callers: number;
}

/**
 * Work shared by concurrent callers, one run per key: the first caller starts it, later ones join it. Each caller
 * may leave early through its own `AbortSignal` (it gets the `cancelled` error); the run's own signal aborts when
 * its last caller has left, so nobody pays for work nobody waits for.
 */
export class SharedFetches<T> {
  readonly #runs = new Map<string, Run<T>>();
  readonly #cancelled: (key: string) => StatemeshError;

  constructor(cancelled: (key: string) => StatemeshError) {
    this.#cancelled = cancelled;
  }

  /** Runs under way. */
  get size(): number {
    return this.#runs.size;
  }

  /** Whether a run is under way for `key`. */
  has(key: string): boolean {
    return this.#runs.has(key);
  }

  /** The result of the run under `key`, started with `start` unless one is under way. */
  join(key: string, start: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted === true) return Promise.reject(this.#cancelled(key));
    let run = this.#runs.get(key);
    if (run === undefined) {
      const controller = new AbortController();
      const created: Run<T> = {
        controller,
        callers: 0,
        promise: Promise.resolve()
          .then(() => start(controller.signal))
          .finally(() => {
            if (this.#runs.get(key) === created) this.#runs.delete(key);
          }),
      };
      run = created;
      this.#runs.set(key, run);
    }
    const joined = run;
    joined.callers++;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const leave = (): void => {
        done = true;
        signal?.removeEventListener('abort', onAbort);
        joined.callers--;
        if (joined.callers === 0 && this.#runs.get(key) === joined) {
          this.#runs.delete(key);
          joined.controller.abort();
        }
      };
      const onAbort = (): void => {
        if (done) return;
        leave();
        reject(this.#cancelled(key));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      joined.promise.then(
        (value) => {
          if (done) return;
          leave();
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          leave();
          reject(error as Error);
        },
      );
    });
  }
}
