import { StatemeshError, type Timers } from '@statemesh/contracts';
import type { ShardValue } from '@statemesh/shard';
import { SharedFetches } from './shared-fetch.js';

const PREFIX = '@statemesh/session: ';

/** What {@link OnDemandValues} needs of the session: its tree and its hydration of large values. */
export interface OnDemandHost {
  readonly timers: Timers;
  /** The value at `path` in the replica. */
  get(path: string): ShardValue | undefined;
  /** The value at `path` with its bytes (a large value's read back from the blob store when not in memory). */
  read(path: string): Promise<ShardValue | undefined>;
  /** Calls `listener` on every change at or under `path`. */
  watch(path: string, listener: () => void): () => void;
  /** Hydrates the value at `path`; settles once it is installed (or replaced), rejects when it failed. */
  hydrate(path: string): Promise<void>;
  /** Stops the hydration at `path`: nobody waits for it. */
  cancel(path: string): void;
  /** Whether the hydration policy fetches `path` as soon as it arrives (then nothing here stops it). */
  isEager(path: string): boolean;
  running(): boolean;
}

/**
 * Large values fetched because someone asked: `fetch(path)` (one hydration per path whoever asks; it stops when the
 * last caller leaves) and `waitFor(path)` (hydrates, with the session's retries, until the value is there).
 */
export class OnDemandValues {
  readonly #host: OnDemandHost;
  readonly #fetches = new SharedFetches<ShardValue>((path) => fetchCancelled(path));
  /** Paths a `waitFor` waits for, with how many waiters. */
  readonly #awaited = new Map<string, number>();
  /** Every `waitFor` under way, so that `close()` can end it. */
  readonly #waiters = new Set<(error: StatemeshError) => void>();
  #closed = false;

  constructor(host: OnDemandHost) {
    this.#host = host;
  }

  /** Whether a `waitFor` waits for `path` (its hydration is then retried on failure, whatever the policy). */
  isAwaited(path: string): boolean {
    return this.#awaited.has(path);
  }

  /** The pending value at `path`, hydrated now; shared by concurrent callers, each free to leave with `signal`. */
  fetch(path: string, signal: AbortSignal | undefined): Promise<ShardValue> {
    return this.#fetches.join(path, (runSignal) => this.#run(path, runSignal), signal);
  }

  /** Resolves with the value at `path` once present and hydrated; `TIMEOUT` after `timeoutMs`. */
  waitFor(path: string, timeoutMs: number): Promise<ShardValue> {
    const host = this.#host;
    const ready = readyValue(host.get(path));
    if (ready !== undefined) return withBytes(host, path, ready);
    if (this.#closed) return Promise.reject(closedError(path));
    this.#awaited.set(path, (this.#awaited.get(path) ?? 0) + 1);
    const release = (): void => {
      const left = (this.#awaited.get(path) ?? 1) - 1;
      if (left > 0) {
        this.#awaited.set(path, left);
        return;
      }
      this.#awaited.delete(path);
      if (!host.isEager(path) && !this.#fetches.has(path) && host.get(path)?.pending === true) host.cancel(path);
    };
    const kick = (): void => {
      if (host.running() && host.get(path)?.pending === true && !host.isEager(path)) void host.hydrate(path).catch(() => undefined); // retried
    };
    return new Promise<ShardValue>((resolve, reject) => {
      const end = (error: StatemeshError): void => {
        host.timers.clearTimeout(timer);
        stop();
        this.#waiters.delete(end);
        release();
        reject(error);
      };
      this.#waiters.add(end);
      const timer = host.timers.setTimeout(() => {
        stop();
        this.#waiters.delete(end);
        release();
        reject(new StatemeshError('TIMEOUT', `${PREFIX}no hydrated value at ${JSON.stringify(path)} after ${timeoutMs} ms; check that a peer holding it is connected`, { details: { path, timeoutMs } }));
      }, timeoutMs);
      const stop = host.watch(path, () => {
        const value = readyValue(host.get(path));
        if (value === undefined) {
          kick();
          return;
        }
        host.timers.clearTimeout(timer);
        stop();
        this.#waiters.delete(end);
        release();
        resolve(withBytes(host, path, value));
      });
      kick();
    });
  }

  /** Ends every `waitFor` under way with `CLOSED` (its timer cleared) and refuses new ones. */
  close(): void {
    this.#closed = true;
    for (const end of Array.from(this.#waiters)) end(closedError(undefined)); // a copy: each end leaves the set
  }

  /** One fetch run: hydrates until the value at `path` is installed; stops a lazy hydration when `signal` aborts. */
  async #run(path: string, signal: AbortSignal): Promise<ShardValue> {
    const host = this.#host;
    const onAbort = (): void => {
      if (!host.isEager(path) && !this.#awaited.has(path)) host.cancel(path);
    };
    if (signal.aborted) throw fetchCancelled(path);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        const value = host.get(path);
        if (value === undefined) throw notHere(path); // deleted meanwhile
        if (!value.pending) return (await host.read(path)) ?? value;
        await host.hydrate(path);
        if (signal.aborted) throw fetchCancelled(path);
        const after = host.get(path);
        if (after?.pending === true && after.ref?.digest === value.ref?.digest) {
          throw new StatemeshError('INTERNAL', `${PREFIX}the value at ${JSON.stringify(path)} is pending but could not be hydrated (no blob reference)`, { details: { path } });
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }
}

/** `CANCELLED`, for a fetch of `path` its caller gave up. */
export function fetchCancelled(path: string): StatemeshError {
  return new StatemeshError('CANCELLED', `${PREFIX}the fetch of ${JSON.stringify(path)} was cancelled`, { details: { path } });
}

/** `BLOB_NOT_FOUND`, for a fetch of a path that holds nothing. */
export function notHere(path: string): StatemeshError {
  return new StatemeshError('BLOB_NOT_FOUND', `${PREFIX}no value at ${JSON.stringify(path)} to fetch; wait for it with waitForData(path)`, { details: { path } });
}

function closedError(path: string | undefined): StatemeshError {
  return new StatemeshError('CLOSED', `${PREFIX}the session closed${path === undefined ? '' : ` before ${JSON.stringify(path)} arrived`}; join again`);
}

function readyValue(value: ShardValue | undefined): ShardValue | undefined {
  return value !== undefined && !value.pending ? value : undefined;
}

/** `value` with its bytes: a large value whose bytes are not in memory any more is read back from the blob store. */
function withBytes(host: OnDemandHost, path: string, value: ShardValue): Promise<ShardValue> {
  if (value.ref === undefined || value.bytes !== undefined) return Promise.resolve(value);
  return host.read(path).then((read) => read ?? value);
}
