import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import type { CheckedEntry, CheckedMutation, ReplicaRecord, ReplicaStore, ReplicaStoreStats, TimerHandle, Timers, Version, VersionVector } from '@statemesh/contracts';

/** How often records the disk refused (full) are tried again. */
const RETRY_MS = 1000;
const PREFIX = '@statemesh/session: ';

/** What a {@link ReplicaJournal} needs from the session. */
export interface ReplicaJournalOptions {
  readonly store: ReplicaStore;
  /** This node's origin (its node id, with its incarnation). */
  readonly origin: string;
  /** The highest sequence number of this origin the store holds (recovered). */
  readonly reserved: number;
  /** The vector the store recovered: what is on disk now. */
  readonly recoveredVector: VersionVector;
  /** The replica's vector now (`Shard.vector()`): appended after the records it covers. */
  readonly vector: () => VersionVector;
  readonly timers: Timers;
  readonly log: (line: string) => void;
}

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  timer: TimerHandle | undefined;
}

/**
 * The session's side of a `ReplicaStore` (DESIGN section 8): appends what the replica did, commits once per turn
 * of the timers (group commit), knows which writes are on disk (`durable`: a batch leaves the process only once
 * it is, so a restart never reuses a sequence number a peer holds, and leaves no gap), and keeps records a full
 * disk refused to append them again once it has room.
 */
export class ReplicaJournal {
  readonly #store: ReplicaStore;
  readonly #origin: string;
  readonly #vector: () => VersionVector;
  readonly #timers: Timers;
  readonly #log: (line: string) => void;
  /** Records appended to the store and not yet known durable, oldest first (appended again if a commit fails). */
  readonly #sinceDurable: ReplicaRecord[] = [];
  /** Records not in the store (the disk was full), oldest first. */
  #unsaved: ReplicaRecord[] = [];
  readonly #waiters = new Set<Waiter>();
  #durableOwnSeq: number;
  #durableVector: VersionVector;
  /** The highest seq of this origin in a `local` record appended (the vector records never claim more). */
  #appendedOwnSeq: number;
  #replicatedAppended = 0;
  /** Records pushed so far, and how many of the first of them are known durable (for {@link settled}). */
  #pushed = 0;
  #durablePushed = 0;
  #dirty = false;
  #commitTimer: TimerHandle | undefined;
  #retryTimer: TimerHandle | undefined;
  #committing: Promise<void> | undefined;
  /** A failure the store will not recover from (`IO_ERROR`): every later write and wait refuses with it. */
  #failure: StatemeshError | undefined;
  #closed = false;

  constructor(options: ReplicaJournalOptions) {
    this.#store = options.store;
    this.#origin = options.origin;
    this.#vector = options.vector;
    this.#timers = options.timers;
    this.#log = options.log;
    this.#durableOwnSeq = options.reserved;
    this.#appendedOwnSeq = options.reserved;
    this.#durableVector = { ...options.recoveredVector };
  }

  /** This node's writes, as drained (in seq order). */
  appendLocal(batch: readonly CheckedMutation[]): void {
    if (batch.length === 0) return;
    this.#appendedOwnSeq = Math.max(this.#appendedOwnSeq, batch[batch.length - 1]!.seq);
    this.#push({ kind: 'local', mutations: batch });
  }

  /** Remote writes the replica took (applied, stale, or outside its interests). */
  appendApplied(mutations: readonly CheckedMutation[]): void {
    if (mutations.length > 0) this.#push({ kind: 'applied', mutations });
  }

  /** A catch-up page's entries. */
  appendEntries(entries: readonly CheckedEntry[]): void {
    if (entries.length > 0) this.#push({ kind: 'entries', entries });
  }

  /** This node's writes up to `seq` reached a peer: the store's outbox drops them. */
  appendReplicated(seq: number): void {
    if (seq <= this.#replicatedAppended) return;
    this.#replicatedAppended = seq;
    this.#push({ kind: 'replicated', seq });
  }

  /**
   * Undefined when this node's writes up to `seq` are on disk (they may leave the process); otherwise resolves once
   * they are, and rejects when the disk refused them.
   */
  whenOwnDurable(seq: number): Promise<void> | undefined {
    if (seq <= this.#durableOwnSeq) return undefined;
    if (this.#unsaved.length > 0 || this.#failure !== undefined) {
      try {
        this.assertWritable();
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.#wait(() => this.#durableOwnSeq >= seq, undefined);
  }

  /** Throws `STORE_FULL` while the disk is full (and `IO_ERROR` after the store failed): the write is refused. */
  assertWritable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#unsaved.length > 0) {
      throw new StatemeshError('STORE_FULL', `${PREFIX}the disk under dataDir is full; the write was refused (every write acknowledged durable is kept). Free space; writes are accepted again once the disk takes the queued records`);
    }
  }

  /** Resolves once the write at `version` is on this node's disk; rejects with `TIMEOUT` after `timeoutMs`. */
  durable(version: Version, timeoutMs: number): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new StatemeshError('CLOSED', `${PREFIX}durable() after close(); join again`));
    const { origin, seq } = version;
    const done = origin === this.#origin ? () => this.#durableOwnSeq >= seq : () => (this.#durableVector[origin] ?? 0) >= seq;
    return this.#wait(done, timeoutMs, `write ${origin}#${seq} to be on disk`);
  }

  /** Resolves once every record appended before this call is on disk; rejects as the store does (or `CLOSED`). */
  settled(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new StatemeshError('CLOSED', `${PREFIX}the journal is closed`));
    const mark = this.#pushed;
    return this.#wait(() => this.#durablePushed >= mark, undefined);
  }

  /** The vector of what is on disk: what this node acknowledges to its peers. */
  durableVector(): VersionVector {
    return this.#durableVector;
  }

  stats(): ReplicaStoreStats {
    return this.#store.stats();
  }

  /** Commits what was appended (waiting for a commit under way), then closes the store. Waits left reject with `CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#commitTimer !== undefined) this.#timers.clearTimeout(this.#commitTimer);
    if (this.#retryTimer !== undefined) this.#timers.clearTimeout(this.#retryTimer);
    this.#commitTimer = this.#retryTimer = undefined;
    try {
      await this.#committing;
      this.#appendUnsaved();
      if (this.#dirty) this.#commit();
      await this.#committing;
    } finally {
      const closed = new StatemeshError('CLOSED', `${PREFIX}the session closed before the write was on disk`);
      for (const waiter of this.#waiters) this.#settle(waiter, closed);
      await this.#store.close();
    }
  }

  #push(record: ReplicaRecord): void {
    if (this.#closed || this.#failure !== undefined) return;
    this.#pushed++;
    this.#dirty = true;
    if (this.#unsaved.length > 0 || !this.#tryAppend(record)) this.#unsaved.push(record);
    this.#scheduleCommit();
  }

  /** Appends to the store; false when the disk is full (the record is kept for later). */
  #tryAppend(record: ReplicaRecord): boolean {
    try {
      this.#store.append(record);
      this.#sinceDurable.push(record);
      return true;
    } catch (error) {
      if (isStatemeshError(error, 'STORE_FULL')) {
        this.#scheduleRetry();
        return false;
      }
      this.#fail(error);
      return false;
    }
  }

  #appendUnsaved(): void {
    while (this.#unsaved.length > 0 && this.#failure === undefined) {
      if (!this.#tryAppend(this.#unsaved[0]!)) return;
      this.#unsaved.shift();
    }
  }

  #scheduleCommit(): void {
    if (this.#commitTimer !== undefined || this.#closed) return;
    this.#commitTimer = this.#timers.setTimeout(() => {
      this.#commitTimer = undefined;
      this.#commit();
    }, 0);
  }

  #scheduleRetry(): void {
    if (this.#retryTimer !== undefined || this.#closed) return;
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.#dirty = true;
      this.#commit();
    }, RETRY_MS);
  }

  /** One group commit: what was appended, then the vector that covers it. */
  #commit(): void {
    if (this.#committing !== undefined) return; // the commit under way schedules the next one when it ends
    this.#appendUnsaved();
    if (!this.#dirty || this.#unsaved.length > 0 || this.#failure !== undefined) {
      if (this.#unsaved.length > 0) this.#scheduleRetry();
      return;
    }
    this.#dirty = false;
    // Never more of this origin than its local records hold (a write still being stored as a blob is not drained).
    const vector = { ...this.#vector() };
    if ((vector[this.#origin] ?? 0) > this.#appendedOwnSeq) vector[this.#origin] = this.#appendedOwnSeq;
    if (!this.#tryAppend({ kind: 'vector', vector })) {
      this.#dirty = true;
      return;
    }
    const covered = this.#sinceDurable.length;
    const pushed = this.#pushed; // every record pushed is appended (none unsaved): this commit covers them all
    let ownSeq = this.#durableOwnSeq;
    for (const record of this.#sinceDurable) if (record.kind === 'local') ownSeq = Math.max(ownSeq, record.mutations[record.mutations.length - 1]!.seq);
    this.#committing = this.#store.commit().then(
      () => {
        this.#sinceDurable.splice(0, covered);
        this.#durableOwnSeq = ownSeq;
        this.#durableVector = vector;
        this.#durablePushed = pushed;
        for (const waiter of this.#waiters) if (waiter.done()) this.#settle(waiter, undefined);
      },
      (error: unknown) => {
        if (!isStatemeshError(error, 'STORE_FULL')) {
          this.#fail(error);
          return;
        }
        // The store cut the log back to its last durable record: everything appended since goes again, first.
        this.#unsaved = [...this.#sinceDurable.filter((r) => r.kind !== 'vector'), ...this.#unsaved];
        this.#sinceDurable.length = 0;
        this.#dirty = true;
        this.#log(`${PREFIX}${error.message}`);
        for (const waiter of this.#waiters) this.#settle(waiter, error);
        this.#scheduleRetry();
      },
    );
    void this.#committing.finally(() => {
      this.#committing = undefined;
      if (this.#dirty && !this.#closed) this.#scheduleCommit();
    });
  }

  #fail(error: unknown): void {
    if (this.#failure !== undefined) return;
    const message = error instanceof Error ? error.message : String(error);
    this.#failure = isStatemeshError(error)
      ? error
      : new StatemeshError('IO_ERROR', `${PREFIX}the replica store failed (${message}); restart the node`, { cause: error });
    this.#log(`${PREFIX}the replica store under dataDir failed, writes are refused until the node restarts: ${message}`);
    for (const waiter of this.#waiters) this.#settle(waiter, this.#failure);
  }

  #wait(done: () => boolean, timeoutMs: number | undefined, what = ''): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { done, resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = this.#timers.setTimeout(() => {
          waiter.timer = undefined;
          this.#settle(waiter, new StatemeshError('TIMEOUT', `${PREFIX}waited ${timeoutMs} ms for ${what}; the disk is slow or refusing writes (see the node's log), or wait longer`, { details: { timeoutMs } }));
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  #settle(waiter: Waiter, error: Error | undefined): void {
    if (!this.#waiters.delete(waiter)) return;
    if (waiter.timer !== undefined) this.#timers.clearTimeout(waiter.timer);
    if (error === undefined) waiter.resolve();
    else waiter.reject(error);
  }
}
