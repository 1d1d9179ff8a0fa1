import type { CheckedEntry, CheckedMutation } from './checked-mutation.js';
import type { VersionVector } from './version.js';

/** How much `commit()` waits for: nothing past the OS (`none`), one flush to disk per tick (`batched`), or per append (`sync`). */
export type Durability = 'none' | 'batched' | 'sync';

/** Which replica a store belongs to; a store opened for another cluster or node refuses with `INVALID_CONFIG`. */
export interface ReplicaIdentity {
  readonly clusterId: string;
  readonly nodeId: string;
}

/**
 * One thing a replica asks its store to keep. Appended in the order the replica did them; recovery folds them in
 * that order.
 *
 * - `local`: this node's own writes, as drained from the shard (before they are sent). They are applied to the
 *   tree and kept in the outbox until a `replicated` record covers them.
 * - `applied`: remote mutations the shard applied (stale ones may be appended too: recovery resolves them by
 *   last-writer-wins, as the shard did).
 * - `entries`: catch-up or snapshot entries the shard applied (`Shard.applyEntries`).
 * - `vector`: the shard's version vector; append it after the records it covers, never before.
 * - `sequence`: this node's sequence numbers up to `seq` are taken (a reservation ahead of use).
 * - `replicated`: this node's writes up to `seq` are known to have reached a peer; the outbox drops them.
 * - `collected`: tombstones the shard dropped (`Shard.compactTombstones`), so that the store drops them too.
 * - `scope`: the replica's scope from here on, and the vector that replaces every vector recorded before it
 *   (a vector claims writes only within the scope it was built under: a wider scope starts from a smaller one).
 *
 * Writes and entries are the checked types: what a replica appends was checked once already (made by its shard,
 * or decoded by `@statemesh/wire`), so a store encodes them without checking their shape again. A caller with
 * writes of its own making checks them first (`checkMutations`, `checkEntries`).
 */
export type ReplicaRecord =
  | { readonly kind: 'local'; readonly mutations: readonly CheckedMutation[] }
  | { readonly kind: 'applied'; readonly mutations: readonly CheckedMutation[] }
  | { readonly kind: 'entries'; readonly entries: readonly CheckedEntry[] }
  | { readonly kind: 'vector'; readonly vector: VersionVector }
  | { readonly kind: 'sequence'; readonly seq: number }
  | { readonly kind: 'replicated'; readonly seq: number }
  | { readonly kind: 'collected'; readonly tombstones: readonly CheckedEntry[] }
  | { readonly kind: 'scope'; readonly scope: ReplicaScope; readonly vector: VersionVector };

/** A half-open range `[begin, end)` of 32-bit path hashes (`end` at most 2^32). */
export interface HashSpan {
  readonly begin: number;
  readonly end: number;
}

/**
 * Which remote writes a replica takes: those under `interests` (empty: every path) and, with a partition
 * enforced, whose path hashes into `spans` (undefined: no partition). Its vector claims writes only within it.
 */
export interface ReplicaScope {
  readonly interests: readonly string[];
  readonly spans: readonly HashSpan[] | undefined;
}

/** What `open()` hands back: everything needed to rebuild the replica before it joins, so a restart needs no peer. */
export interface RecoveredReplica {
  /** The winning value at every path and every live tombstone, with their versions (feed to `Shard.applyEntries`). */
  readonly entries: readonly CheckedEntry[];
  /** The highest vector recorded since the last `scope` record, starting from that record's (feed to `Shard.completeCatchUp`). */
  readonly vector: VersionVector;
  /** The scope of the last `scope` record; undefined when none was appended. */
  readonly scope: ReplicaScope | undefined;
  /** Number of times this store has been opened, this time included (1 for a new store); durable when `open` resolves. */
  readonly incarnation: number;
  /**
   * The highest sequence number this node may have used: the greatest of its `sequence` records, its own writes
   * and its own vector entry (feed to `Shard.reserveSequence`).
   */
  readonly lastSequence: number;
  /** This node's writes not yet covered by a `replicated` record whose value still wins at its path, in seq order. */
  readonly outbox: readonly CheckedMutation[];
  /** Bytes cut from a torn tail on open (0 when the last close or commit was clean). */
  readonly truncatedBytes: number;
}

/** A store's size and history, for `statemesh status` and metrics. */
export interface ReplicaStoreStats {
  readonly durability: Durability;
  /** Bytes of every file the store keeps (log and snapshot). */
  readonly bytes: number;
  /** Bytes of log written since the last snapshot. */
  readonly logBytes: number;
  /** Records in the log since the last snapshot. */
  readonly logRecords: number;
  /** Records appended but not yet durable. */
  readonly pendingRecords: number;
  /** Entries (values and tombstones) in the last snapshot. */
  readonly snapshotEntries: number;
  /** Wall-clock milliseconds when the last snapshot was written; undefined before the first. */
  readonly snapshotAtMs: number | undefined;
  /** Snapshots written since open. */
  readonly snapshots: number;
  /** Times since open that the disk was full (`STORE_FULL`). */
  readonly fullErrors: number;
}

/**
 * A replica's durable home (DESIGN section 8): implementations are `@statemesh/store-fs` (files) and its memory
 * store (a virtual disk for simulators). A session calls, in order:
 *
 * 1. `open(identity)` before it joins: when its scope (interests, partition) is not the recorded `scope`, append
 *    and commit a `scope` record (its vector: the recovered one, or only its own origins when the scope grew);
 *    rebuild the shard from the result (`applyEntries(entries)`, `completeCatchUp(vector)`,
 *    `reserveSequence(lastSequence)`), then publish `outbox` once peers are up.
 * 2. On every tick, `append` what the shard did (`local` with each drained batch, `applied` with each remote
 *    batch, `entries` with each catch-up page, then `vector`), then `commit()`; `session.durable(version)`
 *    resolves when the commit covering the write resolves. Before sending a write whose seq is above its last
 *    committed `sequence` record, a session commits a new one (reserving a block ahead keeps that rare): then no
 *    `(origin, seq)` a peer may hold is ever reused, whatever a crash cut.
 * 3. `close()` last: it resolves once everything appended is on disk.
 *
 * `append` never waits: it queues the record (and may throw `STORE_FULL` while the disk is full, or `CLOSED`).
 * When a commit rejects with `STORE_FULL`, none of the records it covers is durable (nor any appended after
 * them): `session.durable(version)` rejects with that error for those writes, and the session refuses new writes
 * with it until `append` accepts again. What an earlier commit acknowledged is kept. A store compacts itself in
 * the background; `snapshot()` forces it.
 */
export interface ReplicaStore {
  /**
   * Opens the store (creating it when new) and recovers: a torn tail is cut (every record before it is kept), a
   * corrupted record refuses with `STORE_CORRUPT` naming the file and byte offset. Call once.
   */
  open(identity: ReplicaIdentity): Promise<RecoveredReplica>;
  /** Queues `record` for the log. Throws `STORE_FULL` while the disk is full, `CLOSED` after `close`, `NOT_STARTED` before `open`. */
  append(record: ReplicaRecord): void;
  /** Resolves when every record appended so far is as durable as the store's `Durability` says; rejects with `STORE_FULL` when the disk refused them. */
  commit(): Promise<void>;
  /** Writes a snapshot of everything appended so far and compacts the log behind it; resolves when both are durable. */
  snapshot(): Promise<void>;
  /** Size, log length, last snapshot. */
  stats(): ReplicaStoreStats;
  /** Commits what was appended, waits for a running snapshot, releases files and timers. Idempotent. */
  close(): Promise<void>;
}
