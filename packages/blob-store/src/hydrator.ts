// Over ~400 lines: one value's hydration is a small state machine (manifest, chunks under a shared bound,
// verify, assemble, retry) whose states read best side by side; the fetch bound already lives in fetch-slots.ts.
import {
  DEFAULT_MAX_DECODED_BYTES,
  StatemeshError,
  assertPath,
  isStatemeshError,
  type BlobRef,
  type BlobStore,
  type ChunkSource,
  type CodecRegistry,
} from '@statemesh/contracts';
import { getChunked } from './get-chunked.js';
import { assertBlobRef, checkManifest } from './load-manifest.js';
import { decodeManifest } from './manifest.js';
import { defaultRegistry } from './put-chunked.js';
import { FetchSlots } from './fetch-slots.js';
import { fetchFromPeers } from './peer-fetch.js';

/** Default time one peer gets to answer one chunk request: 10 s. */
export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
/** How many chunk fetches one hydration keeps in flight. */
const FETCH_WINDOW = 4;
/** How many chunk fetches all hydrations of one hydrator keep in flight together, by default. */
export const DEFAULT_MAX_FETCHES_IN_FLIGHT = 16;

/** Options of {@link Hydrator}. */
export interface HydratorOptions {
  /** Where fetched chunks are stored and values assembled from. */
  store: BlobStore;
  /** How chunks are fetched from peers (a `Transport` is one). */
  source: ChunkSource;
  /** Codecs the manifests may name (default: the built-in `raw` and `rle`). */
  registry?: CodecRegistry;
  /** Time one peer gets to answer one chunk request before the next is asked (default 10 000 ms). */
  timeoutMs?: number;
  /** Largest value hydrated; a larger one fails with `DECODED_TOO_LARGE` before its chunks are fetched (default 1 GiB). */
  maxDecodedBytes?: number;
  /** Where one-line warnings go (a peer that sent wrong bytes, a listener that threw); default `console.warn`. */
  log?: (line: string) => void;
  /**
   * Chunk fetches in flight across all hydrations (default 16): many large values queue here instead of asking
   * peers for everything at once, so that requests do not time out waiting behind each other.
   */
  maxFetchesInFlight?: number;
}

/** State of the hydration under one key. */
export type HydrationState = 'pending' | 'ready' | 'failed';

/** Counters a {@link Hydrator} keeps. */
export interface HydratorStats {
  /** Blobs (manifests and chunks) fetched from peers and verified. */
  readonly chunksFetched: number;
  readonly bytesFetched: number;
  /** Answers whose bytes did not match the digest asked for; each was dropped and the next peer asked. */
  readonly lyingPeers: number;
  /** Hydrations that ended in `failed`. */
  readonly failures: number;
  /** `onHydrated` listeners that threw. */
  readonly listenerErrors: number;
}

interface Waiter {
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  resolve(value: Uint8Array): void;
  reject(error: unknown): void;
}

/** How far one hydration has got (see {@link Hydrator.progress}). */
export interface HydrationProgress {
  readonly state: HydrationState;
  /** Size in bytes of the whole value. */
  readonly size: number;
  /** Distinct chunks of the value; 0 until its manifest is in. */
  readonly chunks: number;
  /** Chunks stored so far, whether already held or fetched. */
  readonly fetched: number;
}

interface Hydration {
  readonly ref: BlobRef;
  readonly progress: { chunks: number; fetched: number };
  state: HydrationState;
  error: unknown;
  readonly abort: AbortController;
  readonly waiters: Set<Waiter>;
}

/**
 * Loads chunked blobs from peers: for each requested key it fetches the manifest and the chunks the store lacks
 * (resuming from what is already stored), asking the up peers in turn and verifying every blob's digest before
 * storing it, then assembles and decodes the value. Listeners run from a microtask, after the hydrator's state
 * is consistent, never in the middle of an update.
 */
export class Hydrator {
  readonly #store: BlobStore;
  readonly #source: ChunkSource;
  readonly #registry: CodecRegistry;
  readonly #timeoutMs: number;
  readonly #maxDecodedBytes: number;
  readonly #log: (line: string) => void;
  readonly #hydrations = new Map<string, Hydration>();
  readonly #slots: FetchSlots;
  readonly #listeners = new Set<(key: string, ref: BlobRef) => void>();
  readonly #stats = { chunksFetched: 0, bytesFetched: 0, lyingPeers: 0, failures: 0, listenerErrors: 0 };
  #closed = false;

  constructor(options: HydratorOptions) {
    if (typeof options?.store?.put !== 'function' || typeof options.source?.fetchChunk !== 'function') {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/blob-store: a Hydrator needs { store: BlobStore, source: ChunkSource }');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    if (!(timeoutMs > 0)) throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/blob-store: timeoutMs must be > 0, got ${timeoutMs}`);
    this.#store = options.store;
    this.#source = options.source;
    this.#registry = options.registry ?? defaultRegistry();
    this.#timeoutMs = timeoutMs;
    this.#maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
    this.#log = options.log ?? ((line) => console.warn(line));
    const maxFetches = options.maxFetchesInFlight ?? DEFAULT_MAX_FETCHES_IN_FLIGHT;
    if (!Number.isInteger(maxFetches) || maxFetches < 1) {
      throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/blob-store: maxFetchesInFlight must be an integer >= 1, got ${maxFetches}`);
    }
    this.#slots = new FetchSlots(maxFetches);
  }

  /** Chunk fetches asked of peers right now, across all hydrations (at most `maxFetchesInFlight`). */
  get fetchesInFlight(): number {
    return this.#slots.busy;
  }

  /** Number of keys whose hydration is under way. */
  get pendingCount(): number {
    let pending = 0;
    for (const hydration of this.#hydrations.values()) if (hydration.state === 'pending') pending++;
    return pending;
  }

  /**
   * Starts hydrating `ref` under `key` (a path). The same ref again joins the hydration under way (or restarts a
   * failed one); a different ref replaces it, and whoever waits on the key gets the new value.
   */
  request(key: string, ref: BlobRef): void {
    this.#assertOpen();
    assertPath(key, 'hydration key');
    assertBlobRef(ref);
    const current = this.#hydrations.get(key);
    if (current !== undefined && current.ref.digest === ref.digest && current.state !== 'failed') return;
    this.#start(key, ref, current);
  }

  /**
   * The value hydrated under `key`, assembled and decoded. Rejects with `TIMEOUT` after `timeoutMs` (absent: waits
   * until the hydration succeeds or fails), with the hydration's error when it failed, `CANCELLED` when it is
   * cancelled, `BLOB_NOT_FOUND` when nothing was requested under `key`.
   */
  wait(key: string, timeoutMs?: number): Promise<Uint8Array> {
    if (this.#closed) return Promise.reject(closedError());
    const hydration = this.#hydrations.get(key);
    if (hydration === undefined) {
      return Promise.reject(
        new StatemeshError('BLOB_NOT_FOUND', `@statemesh/blob-store: nothing is being hydrated under "${key}"; call request(key, ref) first`, {
          details: { key },
        }),
      );
    }
    if (hydration.state === 'ready') return getChunked(this.#store, hydration.ref, { registry: this.#registry, maxDecodedBytes: this.#maxDecodedBytes });
    if (hydration.state === 'failed') return Promise.reject(hydration.error as Error);
    return new Promise<Uint8Array>((resolve, reject) => {
      const waiter: Waiter = { settled: false, timer: undefined, resolve, reject };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          if (waiter.settled) return;
          waiter.settled = true;
          this.#hydrations.get(key)?.waiters.delete(waiter);
          reject(
            new StatemeshError('TIMEOUT', `@statemesh/blob-store: "${key}" was not hydrated within ${timeoutMs} ms; it is still being fetched, wait again or check that a peer holding it is up`, {
              details: { key, timeoutMs },
            }),
          );
        }, timeoutMs);
      }
      hydration.waiters.add(waiter);
    });
  }

  /** `pending`, `ready` or `failed`; `undefined` when nothing was requested under `key` (or it was cancelled). */
  /**
   * How far the hydration under `key` has got: the value's size, its distinct chunks, and how many of them are
   * stored (already held or fetched). `chunks` is 0 until the manifest is in. Undefined when nothing was requested.
   */
  progress(key: string): HydrationProgress | undefined {
    const hydration = this.#hydrations.get(key);
    if (hydration === undefined) return undefined;
    return { state: hydration.state, size: hydration.ref.size, chunks: hydration.progress.chunks, fetched: hydration.progress.fetched };
  }

  state(key: string): HydrationState | undefined {
    return this.#hydrations.get(key)?.state;
  }

  /** Stops the hydration under `key` and forgets it; its waiters reject with `CANCELLED`. */
  cancel(key: string): void {
    const hydration = this.#hydrations.get(key);
    if (hydration === undefined) return;
    this.#hydrations.delete(key);
    hydration.abort.abort();
    settleWaiters(hydration, (waiter) =>
      waiter.reject(new StatemeshError('CANCELLED', `@statemesh/blob-store: the hydration of "${key}" was cancelled`, { details: { key } })),
    );
  }

  /** Starts a failed hydration again, keeping what it already stored; does nothing otherwise. */
  retry(key: string): void {
    this.#assertOpen();
    const hydration = this.#hydrations.get(key);
    if (hydration?.state === 'failed') this.#start(key, hydration.ref, hydration);
  }

  /** Calls `listener(key, ref)` after each hydration succeeds; returns a function that unsubscribes it. */
  onHydrated(listener: (key: string, ref: BlobRef) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Counters: chunks and bytes fetched, lying peers, failures. */
  stats(): HydratorStats {
    return { ...this.#stats };
  }

  /** Cancels every hydration (waiters reject with `CLOSED`) and refuses new ones. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const hydrations = [...this.#hydrations.values()];
    this.#hydrations.clear();
    this.#listeners.clear();
    for (const hydration of hydrations) {
      hydration.abort.abort();
      settleWaiters(hydration, (waiter) => waiter.reject(closedError()));
    }
  }

  #start(key: string, ref: BlobRef, previous: Hydration | undefined): void {
    const hydration: Hydration = { ref, progress: { chunks: 0, fetched: 0 }, state: 'pending', error: undefined, abort: new AbortController(), waiters: new Set() };
    if (previous !== undefined) {
      previous.abort.abort();
      for (const waiter of previous.waiters) hydration.waiters.add(waiter); // waiters want the key's value
      previous.waiters.clear();
    }
    this.#hydrations.set(key, hydration);
    void this.#run(key, hydration);
  }

  async #run(key: string, hydration: Hydration): Promise<void> {
    let value: Uint8Array;
    try {
      value = await this.#hydrate(hydration.ref, hydration.abort.signal, hydration.progress);
    } catch (error) {
      if (this.#hydrations.get(key) !== hydration) return; // cancelled or replaced: its waiters moved on
      hydration.state = 'failed';
      hydration.error = error;
      this.#stats.failures++;
      settleWaiters(hydration, (waiter) => waiter.reject(error));
      return;
    }
    if (this.#hydrations.get(key) !== hydration) return;
    hydration.state = 'ready';
    settleWaiters(hydration, (waiter) => waiter.resolve(value));
    const { ref } = hydration;
    // Listeners run once this update is complete, from a microtask, never while it is under way.
    queueMicrotask(() => {
      for (const listener of Array.from(this.#listeners)) { // a snapshot: a listener may unsubscribe
        try {
          listener(key, ref);
        } catch (error) {
          this.#stats.listenerErrors++;
          this.#log(`@statemesh/blob-store: an onHydrated listener threw for "${key}": ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    });
  }

  async #hydrate(ref: BlobRef, signal: AbortSignal, progress: Hydration['progress']): Promise<Uint8Array> {
    const manifest = checkManifest(decodeManifest(await this.#obtain(ref.digest, signal)), ref);
    if (manifest.totalSize > this.#maxDecodedBytes) {
      throw new StatemeshError(
        'DECODED_TOO_LARGE',
        `@statemesh/blob-store: blob ${ref.digest} is ${manifest.totalSize} bytes, over the hydrator's limit of ${this.#maxDecodedBytes}; raise maxDecodedBytes if it is legitimate`,
        { details: { size: manifest.totalSize, max: this.#maxDecodedBytes } },
      );
    }
    const wanted = [...new Set(manifest.chunks.map((chunk) => chunk.digest))];
    const missing: string[] = [];
    for (const digest of wanted) if (!(await this.#store.has(digest))) missing.push(digest);
    progress.chunks = wanted.length;
    progress.fetched = wanted.length - missing.length;
    // A few fetches in flight; the first failure stops the others.
    const failed = new AbortController();
    const fetchSignal = AbortSignal.any([signal, failed.signal]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < missing.length && !fetchSignal.aborted) {
        const digest = missing[next++]!;
        const release = await this.#slots.acquire(fetchSignal);
        if (release === undefined) break;
        try {
          await this.#store.put(await this.#fetchVerified(digest, fetchSignal));
        } finally {
          release();
        }
        progress.fetched++;
      }
    };
    let firstError: unknown;
    const workers = Array.from({ length: Math.min(FETCH_WINDOW, missing.length) }, () =>
      worker().catch((error: unknown) => {
        firstError ??= error;
        failed.abort();
      }),
    );
    await Promise.all(workers);
    if (signal.aborted) throw cancelledError(ref.digest);
    if (firstError !== undefined) throw firstError;
    return getChunked(this.#store, ref, { registry: this.#registry, maxDecodedBytes: this.#maxDecodedBytes });
  }

  /** The blob from the store, or else fetched from a peer, verified and stored. */
  async #obtain(digest: string, signal: AbortSignal): Promise<Uint8Array> {
    const stored = await this.#store.get(digest).catch((error: unknown) => {
      if (isStatemeshError(error, 'CHUNK_DIGEST_MISMATCH')) return undefined; // corrupt on disk: fetch it again
      throw error;
    });
    if (stored !== undefined) return stored;
    const release = await this.#slots.acquire(signal);
    if (release === undefined) throw cancelledError(digest);
    try {
      const fetched = await this.#fetchVerified(digest, signal);
      await this.#store.put(fetched);
      return fetched;
    } finally {
      release();
    }
  }

  /** Asks each up peer in turn for `digest` until one sends bytes that hash to it. */
  async #fetchVerified(digest: string, signal: AbortSignal): Promise<Uint8Array> {
    const peers = this.#source
      .peers()
      .filter((peer) => peer.state === 'up')
      .map((peer) => peer.node);
    const { bytes } = await fetchFromPeers(digest, peers, {
      source: '@statemesh/blob-store',
      signal,
      ask: (peer) => this.#fetchOne(digest, peer, signal),
      onWrongBytes: (peer, actual) => {
        this.#stats.lyingPeers++;
        this.#log(`@statemesh/blob-store: peer ${peer} answered blob ${digest} with bytes that hash to ${actual}; dropped them, asking the next peer`);
      },
      cancelled: () => cancelledError(digest),
    });
    this.#stats.chunksFetched++;
    this.#stats.bytesFetched += bytes.length;
    return bytes;
  }

  /** One request to one peer, bounded by the fetch timeout even if the source ignores it. */
  async #fetchOne(digest: string, peer: string, signal: AbortSignal): Promise<Uint8Array> {
    const attempt = new AbortController();
    const onAbort = (): void => attempt.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    const stopped = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StatemeshError('TIMEOUT', `@statemesh/blob-store: peer ${peer} did not answer for blob ${digest} within ${this.#timeoutMs} ms`));
        attempt.abort(); // after the rejection, so the timeout is what the race reports
      }, this.#timeoutMs);
      attempt.signal.addEventListener('abort', () => reject(cancelledError(digest)), { once: true });
    });
    try {
      const fetching = Promise.resolve().then(() => this.#source.fetchChunk(digest, { peer, timeoutMs: this.#timeoutMs, signal: attempt.signal }));
      return await Promise.race([fetching, stopped]);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function settleWaiters(hydration: Hydration, settle: (waiter: Waiter) => void): void {
  const waiters = [...hydration.waiters];
  hydration.waiters.clear();
  for (const waiter of waiters) {
    if (waiter.settled) continue;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    settle(waiter);
  }
}

function cancelledError(digest: string): StatemeshError {
  return new StatemeshError('CANCELLED', `@statemesh/blob-store: the fetch of blob ${digest} was cancelled`, { details: { digest } });
}

function closedError(): StatemeshError {
  return new StatemeshError('CLOSED', '@statemesh/blob-store: the hydrator is closed; create a new one');
}
