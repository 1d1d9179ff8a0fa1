import { isBlobRef, isStatemeshError, isUnderAny, type BlobStore, type CodecRegistry, type Timers, type Transport } from '@statemesh/contracts';
import { Hydrator } from '@statemesh/blob-store';
import type { Shard } from '@statemesh/shard';
import type { HydratePolicy } from './config.js';
import type { HeldBlobLog } from './held-blob-log.js';
import { SESSION_PREFIX, describe } from './session-errors.js';

/** Why a chunk fetch fails while the cluster is merely busy or changing: retried quietly. */
const PASSING_FETCH_ERRORS = new Set(['NO_PEERS', 'CHUNK_NOT_FOUND', 'TIMEOUT', 'PEER_UNAVAILABLE']);
/** The attempt at which a hydration that keeps failing for a passing reason is reported as a failure. */
const HYDRATION_PATIENCE = 8;

/** What {@link LargeValueHydrations} needs of the session. */
export interface LargeValueHydrationsOptions {
  readonly shard: Shard;
  readonly blobStore: BlobStore;
  readonly source: Transport;
  readonly registry: CodecRegistry;
  readonly timers: Timers;
  readonly policy: HydratePolicy;
  /** The longest backoff between retries of a failed hydration. */
  readonly maxBackoffMs: number;
  /** Large values stored whole here: each hydrated one is added. */
  readonly heldBlobs: HeldBlobLog;
  /** Whether a `waitForData` waits for `path` (its hydration is then retried whatever the policy). */
  readonly awaited: (path: string) => boolean;
  readonly running: () => boolean;
  /** How many peers are up (no retry while none is). */
  readonly peerCount: () => number;
  readonly log: (line: string) => void;
}

/** Counters of the hydrations, as the session's metrics report them. */
export interface HydrationCounters {
  readonly completed: number;
  readonly failed: number;
  readonly retried: number;
  readonly pending: number;
}

/** One hydration under way, as `progress()` reports it. */
export interface HydrationProgress {
  readonly path: string;
  readonly state: string;
  /** Bytes of the whole value. */
  readonly size: number;
  /** Distinct chunks of the value (0 until its manifest is in), and how many are stored here. */
  readonly chunks: number;
  readonly fetched: number;
}

/**
 * The session's large values that arrived as blob references: fetched, verified, assembled and installed in the
 * shard (by the hydration policy, or because someone waits for one), a failure retried with backoff and logged
 * once per value.
 */
export class LargeValueHydrations {
  readonly #options: LargeValueHydrationsOptions;
  readonly #shard: Shard;
  readonly #timers: Timers;
  readonly #hydrator: Hydrator;
  /** Paths whose large value is being hydrated. */
  readonly #hydrating = new Set<string>();
  #completed = 0;
  #failed = 0;
  #retried = 0;
  /** Paths whose hydration failure was logged: logged once per value, not once per retry. */
  readonly #reported = new Set<string>();
  /**
   * Values whose hydration failed (no peer had the chunks yet: a relay may still be fetching them itself), by
   * path: retried after a backoff from 50 ms doubling to `maxBackoffMs`, and when a peer comes up.
   */
  readonly #retries = new Map<string, { attempts: number; timer: object | undefined }>();

  constructor(options: LargeValueHydrationsOptions) {
    this.#options = options;
    this.#shard = options.shard;
    this.#timers = options.timers;
    this.#hydrator = new Hydrator({ store: options.blobStore, source: options.source, registry: options.registry });
  }

  /** Whether the hydration policy fetches the value at `path` as soon as it arrives. */
  isEager(path: string): boolean {
    const policy = this.#options.policy;
    return policy === 'eager' || (policy !== 'lazy' && isUnderAny(path, policy));
  }

  /** Hydrates the value at `path` when the policy says so (a failure is retried and logged once). */
  hydrateIfEager(path: string): void {
    if (this.isEager(path)) void this.hydrate(path).catch(() => undefined);
  }

  /**
   * Hydrates the large value at `path` (joining a hydration under way); settles once it is installed (or replaced
   * by a newer write), rejects when it failed. A failure is retried with backoff where hydration is eager or a
   * `waitForData` waits.
   */
  hydrate(path: string): Promise<void> {
    const value = this.#shard.get(path);
    if (value?.ref === undefined || !isBlobRef(value.ref) || !value.pending) return Promise.resolve();
    const ref = value.ref;
    this.#hydrator.request(path, ref);
    this.#hydrating.add(path);
    return this.#hydrator.wait(path).then(
      (bytes) => {
        this.#options.heldBlobs.add(ref.digest); // manifest and every chunk are in the blob store now
        // A newer write may have replaced the value meanwhile: install only what is still current.
        if (this.#shard.get(path)?.ref?.digest !== ref.digest) {
          if (this.#shard.get(path)?.pending !== true) this.#hydrating.delete(path);
          return;
        }
        this.#shard.markHydrated(path, bytes);
        this.#completed++;
        this.#hydrating.delete(path);
        this.#retries.delete(path);
        this.#reported.delete(path);
      },
      (error: unknown) => {
        if (!this.#options.running() || isStatemeshError(error, 'CANCELLED')) throw error;
        if (this.#wanted(path)) {
          // A relay still fetching the chunks itself, or a peer just gone, passes: counted as a retry, not logged.
          // Anything else, or a passing cause that lasts, is a failure: counted and logged once per value.
          const attempts = (this.#retries.get(path)?.attempts ?? 0) + 1;
          if (PASSING_FETCH_ERRORS.has(isStatemeshError(error) ? error.code : '') && attempts !== HYDRATION_PATIENCE) this.#retried++;
          else if (!this.#reported.has(path)) {
            this.#failed++;
            this.#reported.add(path);
            this.#options.log(`${SESSION_PREFIX}hydration of ${JSON.stringify(path)} failed (attempt ${attempts}), still retrying with backoff: ${describe(error)}`);
          } else this.#retried++;
          this.#scheduleRetry(path);
        }
        throw error;
      },
    );
  }

  /** Stops the hydration at `path` and its retries (nobody waits for it any more). */
  cancel(path: string): void {
    this.#hydrator.cancel(path);
    this.#hydrating.delete(path);
    const retry = this.#retries.get(path);
    if (retry?.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    this.#retries.delete(path);
  }

  /** Retries every failed hydration now (a peer came up: it may hold the chunks). */
  retryAll(): void {
    for (const path of Array.from(this.#retries.keys())) this.#retry(path); // a copy: retrying edits the map
  }

  /** How many values are being fetched. */
  get pendingCount(): number {
    return this.#hydrator.pendingCount;
  }

  counters(): HydrationCounters {
    return { completed: this.#completed, failed: this.#failed, retried: this.#retried, pending: this.#hydrator.pendingCount };
  }

  /** The hydrations under way, with how far each has got. */
  progress(): HydrationProgress[] {
    return [...this.#hydrating].flatMap((path) => {
      const p = this.#hydrator.progress(path);
      return p === undefined ? [] : [{ path, state: p.state, size: p.size, chunks: p.chunks, fetched: p.fetched }];
    });
  }

  /** Clears every retry timer and stops the fetches. */
  close(): void {
    for (const retry of this.#retries.values()) if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    this.#retries.clear();
    this.#hydrator.close();
  }

  /** Whether a failed hydration of `path` is retried: the policy wants it, or a `waitForData` waits. */
  #wanted(path: string): boolean {
    return this.isEager(path) || this.#options.awaited(path);
  }

  #scheduleRetry(path: string): void {
    const retry = this.#retries.get(path) ?? { attempts: 0, timer: undefined };
    if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    const delay = Math.min(this.#options.maxBackoffMs, 50 * 2 ** retry.attempts);
    retry.attempts++;
    retry.timer = this.#timers.setTimeout(() => {
      retry.timer = undefined;
      this.#retry(path);
    }, delay);
    this.#retries.set(path, retry);
  }

  #retry(path: string): void {
    const retry = this.#retries.get(path);
    if (retry === undefined || !this.#options.running() || this.#options.peerCount() === 0) return;
    if (retry.timer !== undefined) this.#timers.clearTimeout(retry.timer);
    retry.timer = undefined;
    if (this.#shard.get(path)?.pending !== true || !this.#wanted(path)) {
      this.#retries.delete(path);
      return;
    }
    void this.hydrate(path).catch(() => undefined); // a failure schedules the next retry
  }
}
