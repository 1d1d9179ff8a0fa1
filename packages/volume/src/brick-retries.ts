import { isStatemeshError } from '@statemesh/contracts';

/** Failures that may pass (no peer up for a moment, a slow answer). */
const TRANSIENT = new Set(['NO_PEERS', 'TIMEOUT', 'PEER_UNAVAILABLE']);
/** Tries after the first, 100 ms apart, doubling. */
const RETRIES = 5;

/** Brick fetches that failed for a passing reason, each tried again after a backoff, a few times. */
export class BrickRetries {
  readonly #retries = new Map<string, { attempts: number; timer: ReturnType<typeof setTimeout> | undefined }>();

  /** True while a retry waits for its timer. */
  get waiting(): boolean {
    for (const retry of this.#retries.values()) if (retry.timer !== undefined) return true;
    return false;
  }

  /** Calls `retry` after a backoff when `error` may pass and `digest` has tries left; false otherwise. */
  schedule(digest: string, error: unknown, retry: () => void): boolean {
    if (!isStatemeshError(error) || !TRANSIENT.has(error.code)) return false;
    const state = this.#retries.get(digest) ?? { attempts: 0, timer: undefined };
    if (state.attempts >= RETRIES) return false;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      retry();
    }, 100 * 2 ** state.attempts);
    state.attempts++;
    this.#retries.set(digest, state);
    return true;
  }

  /** Cancels every waiting retry and forgets the attempts (a new camera tries afresh). */
  clear(): void {
    for (const state of this.#retries.values()) if (state.timer !== undefined) clearTimeout(state.timer);
    this.#retries.clear();
  }
}
