// Over ~400 lines: the façade of the replica, one short method per public operation over admission, merge,
// local log, remote apply, catch-up reader, blob values and trusted load, which live in their own files.
import { StatemeshError, isValidId, isValidPath, isValidType } from '@statemesh/contracts';
import type { BlobRef, CheckedEntry, CheckedMutation, SnapshotPage, SnapshotRequest, Version, VersionVector } from '@statemesh/contracts';
import { Admission } from './admission.js';
import type { ApplyResult } from './apply-result.js';
import { checkPeers, checkPrefixes, checkVector, pageSizeOf } from './argument-check.js';
import { Batch } from './batch.js';
import { BlobValues } from './blob-values.js';
import { AppliedChange } from './change.js';
import type { Change, ChangeListener, WatchOptions } from './change.js';
import { CatchUpReader } from './catch-up-reader.js';
import { ConflictRing } from './conflict-ring.js';
import type { Conflict } from './conflict-ring.js';
import { originOf } from './incarnation.js';
import { Interner } from './interner.js';
import { jsonText } from './json-text.js';
import { LocalLog } from './local-log.js';
import { LocalWriter } from './local-writer.js';
import { OriginIndex } from './origin-index.js';
import { PathTree } from './path-tree.js';
import { RemoteApply } from './remote-apply.js';
import { RetiredIncarnations } from './retired-incarnations.js';
import { SeenSet } from './seen-set.js';
import { shardConfig } from './shard-config.js';
import { ShardCounters } from './shard-counters.js';
import { invalidId, invalidPath, invalidType } from './shard-errors.js';
import type { PageOptions, ShardClock, ShardOptions, WriteOptions } from './shard-options.js';
import type { ShardEntry, ShardValue } from './shard-value.js';
import { collectTombstones } from './tombstone-collector.js';
import { digestOf } from './tree-digest.js';
import { TreeMerge } from './tree-merge.js';
import { TrustedLoad } from './trusted-load.js';
import { ValueReader } from './value-reader.js';
import { WatchHub } from './watch-hub.js';

const PREFIX = '@statemesh/shard: ';

/**
 * A replica of the state tree. Every write, local or remote, carries a version `(hlc, origin, seq)`; at each
 * path the greatest version wins (last-writer-wins by hybrid time, then origin, then seq), and a delete leaves a
 * tombstone that removes every older entry under its path. Replicas that received the same writes, in any
 * order and with any duplicates, hold the same tree: `digest()` proves it.
 *
 * A façade over its parts: the path tree, admission (gates and clock merge), last-writer-wins merge, the local
 * log (sequence, outbox, offloads), the catch-up reader, blob values and watchers; each batch is a `Batch`.
 */
export class Shard {
  /** The cluster this replica belongs to. */
  readonly clusterId: string;
  /** This node's id. */
  readonly nodeId: string;
  /** The origin of every local write: `nodeId`, or `<nodeId>~<incarnation>` (see `ShardOptions.incarnation`). */
  readonly origin: string;

  readonly #clock: ShardClock;
  readonly #tombstoneTtlMs: number | undefined;
  readonly #tree = new PathTree();
  readonly #seen = new SeenSet();
  readonly #index = new OriginIndex();
  readonly #conflicts = new ConflictRing(128);
  readonly #counters = new ShardCounters();
  /** Incarnations known to be over (a later one of the same node was seen), and each node's latest one. */
  readonly #incarnations = new RetiredIncarnations();
  readonly #interner: Interner;
  readonly #watch: WatchHub;
  readonly #admission: Admission;
  readonly #merge: TreeMerge;
  readonly #local: LocalLog;
  readonly #writer: LocalWriter;
  readonly #remote: RemoteApply;
  readonly #reader: CatchUpReader;
  readonly #values: ValueReader;
  readonly #loader: TrustedLoad;

  constructor(options: ShardOptions) {
    const { clock, interests, partition, enforcePartition, mounts, maxInline, maxValue, blobCache, warn, ...rest } = shardConfig(options);
    this.clusterId = rest.clusterId;
    this.nodeId = rest.nodeId;
    this.#clock = clock;
    this.#tombstoneTtlMs = rest.tombstoneTtlMs;
    const tree = this.#tree;
    this.#interner = new Interner((origin) => this.#incarnations.saw(origin));
    this.origin = this.#interner.origin(originOf(rest.nodeId, options.incarnation));
    const counters = this.#counters;
    this.#watch = new WatchHub((error) => {
      counters.watchErrors++;
      warn(`${PREFIX}a watch listener threw: ${error instanceof Error ? error.message : String(error)}`);
    });
    const log = (this.#local = new LocalLog(this.origin, this.#seen));
    const localSeq = (): number => log.seq;
    this.#admission = new Admission(
      { nodeId: this.nodeId, origin: this.origin, clock, seen: this.#seen, counters, log: warn, localSeq, intern: (origin) => this.#interner.origin(origin) },
      { interests, partition, enforcePartition, mounts, maxValue },
    );
    const merge = (this.#merge = new TreeMerge(tree, this.#index, this.#conflicts, counters, rest.resolveConflicts, this.origin));
    this.#remote = new RemoteApply(this.#admission, merge, this.#seen, this.#interner, this.origin, localSeq);
    this.#loader = new TrustedLoad({
      tree, index: this.#index, seen: this.#seen, interner: this.#interner, clock, remote: this.#remote, origin: this.origin, localSeq,
      gated: interests.length > 0 || enforcePartition || mounts !== undefined,
    });
    this.#reader = new CatchUpReader(tree, this.#index, merge.isLive, log, this.origin, () => this.vector());
    const values = (this.#values = new ValueReader(tree, new BlobValues(options.blobStore, options.offload?.registry, blobCache)));
    this.#writer = new LocalWriter({
      nodeId: this.nodeId, origin: this.origin, clock, tree, merge, log, values, interner: this.#interner, counters, mounts, warn,
      offload: options.offload, maxInline, maxValue, batch: () => this.#batch('local'), publish: (batch) => this.#publish(batch),
    });
  }

  // ---------------------------------------------------------------- local API

  /**
   * Writes a JSON value; returns the write's version. Throws `INVALID_ARGUMENT` for what JSON cannot represent
   * (`NaN`, `Infinity`, a bigint, a cycle, `undefined`) rather than writing something else.
   */
  set(path: string, value: unknown, options?: WriteOptions): Version {
    const text = jsonText(path, value);
    // A primitive is kept as itself (its bytes are its JSON text again), anything else as its text.
    const primitive = typeof value === 'number' || typeof value === 'boolean' || value === null;
    return this.#writer.write(path, 'json', text, options?.system === true, primitive ? value : undefined, primitive);
  }

  /** Writes a string (type `text`); returns the write's version. */
  setText(path: string, text: string, options?: WriteOptions): Version {
    if (typeof text !== 'string') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setText needs a string (got ${typeof text})`);
    return this.#writer.write(path, 'text', text, options?.system === true, undefined, false);
  }

  /**
   * Writes bytes with a value type (default `bytes`); the bytes are copied. A value longer than
   * `maxInlinePayloadBytes` is stored as a chunked blob in the background: the version is returned at once and
   * the write is drained once the blob is stored (`flushOffloads()` waits for that).
   */
  setBytes(path: string, bytes: Uint8Array, type = 'bytes', options?: WriteOptions): Version {
    if (!(bytes instanceof Uint8Array)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setBytes needs a Uint8Array`);
    if (!isValidType(type)) throw invalidType(type);
    return this.#writer.write(path, type, bytes.slice(), options?.system === true, undefined, false);
  }

  /** Deletes the subtree at `path` (the root `''` deletes everything), leaving a tombstone; returns its version. */
  delete(path: string, options?: WriteOptions): Version {
    return this.#writer.delete(path, options?.system === true);
  }

  /**
   * The value at `path`, or undefined. A json value is parsed once and the same (frozen) value handed to every
   * reader. A blob value whose bytes are not in memory has `bytes` undefined: `read(path)` gets them.
   */
  get(path: string): ShardValue | undefined {
    const record = this.#tree.get(path);
    if (record === undefined) {
      if (!isValidPath(path)) throw invalidPath(path);
      return undefined;
    }
    return record.type === '' ? undefined : this.#values.view(path, record);
  }

  /** The value at `path` with its bytes, read back from the blob store when not in memory; undefined when absent. */
  async read(path: string): Promise<ShardValue | undefined> {
    if (!isValidPath(path)) throw invalidPath(path);
    return this.#values.read(path);
  }

  /** Every value under `prefix` (segment-aware; `''` is everything), sorted by path; costs the subtree's size. */
  entries(prefix = ''): ShardEntry[] {
    if (!isValidPath(prefix)) throw invalidPath(prefix);
    const out: ShardEntry[] = [];
    this.#tree.forEachUnder(prefix, (path, record) => {
      if (record.type !== '') out.push(this.#values.view(path, record));
    });
    return out;
  }

  /**
   * Calls `listener` once per applied batch (local write, `apply`, `applyEntries`, a hydration) with the changes
   * under `prefix`, each with its value and version as applied. With `{ initial: true }` its first call holds
   * what is already there (before any later batch). Returns the function that stops it.
   */
  watch(prefix: string, listener: ChangeListener, options?: WatchOptions): () => void {
    if (!isValidPath(prefix)) throw invalidPath(prefix);
    if (typeof listener !== 'function') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}watch needs a listener function`);
    if (options?.initial !== true) return this.#watch.add(prefix, listener);
    const initial: Change[] = [];
    this.#tree.forEachUnder(prefix, (path, record) => {
      if (record.type === '') return;
      const view = this.#values.view(path, record);
      initial.push(new AppliedChange(path, 'set', view.version, view.type, undefined, view.value, view.ref, view.pending, 'initial'));
    });
    return this.#watch.add(prefix, listener, initial);
  }

  /**
   * SHA-256 (hex) of every visible value with its path, version, type and payload (a blob counts by its
   * reference), in path order. Replicas with equal digests hold equal trees. Tombstones are not hashed: they
   * change nothing visible, and a replica that has collected one must still digest like one that has not.
   */
  digest(): string {
    return digestOf(this.#tree);
  }

  // ---------------------------------------------------------------- replication API

  /** Local writes not yet drained, oldest first, up to `max`; stops before a write whose blob is still being stored. */
  drain(max = Number.POSITIVE_INFINITY): CheckedMutation[] {
    return this.#local.drain(max);
  }

  /** Number of local writes not yet drained. */
  get outboxSize(): number {
    return this.#local.outboxSize;
  }

  /** Resolves once every blob offload started so far has finished (stored, or failed and sent inline). */
  async flushOffloads(): Promise<void> {
    await this.#local.flush();
  }

  /**
   * Applies a batch of remote mutations received from peer `from`: checked mutations (the wire decoder's, another
   * replica's `drain()`, or contracts' `checkMutations`), whose shape is not checked again here. Gates, in order:
   * duplicate (by `(origin, seq)`), size, own origin (a seq this node never used), authority (mounts), interests,
   * partition (sets only), clock drift, then last-writer-wins. Every mutation is admitted before any is applied.
   */
  apply(batch: readonly CheckedMutation[], from: string): ApplyResult {
    if (!isValidId(from)) throw invalidId('from', from);
    if (!Array.isArray(batch)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}apply needs an array of mutations`);
    const into = this.#batch(from);
    this.#remote.mutations(batch, from, into);
    return this.#finish(into);
  }

  /**
   * The version vector: origin -> highest seq applied with no gap before it (this node's own writes included).
   * An incarnation that is over (a later one of its node was seen) and of which this replica holds nothing any
   * more is left out, so vectors stay small across many restarts; the replica still knows what it saw of it.
   */
  vector(): Record<string, number> {
    const vector = this.#seen.vector();
    for (const origin of this.#incarnations.retired()) {
      if (origin !== this.origin && this.#index.liveCount(origin) === 0) delete vector[origin];
    }
    return vector;
  }

  /**
   * Pages of every entry and tombstone this replica holds that a peer at `vector` lacks (versions whose seq is
   * above the peer's for their origin), under `prefixes`. Found through a per-origin index, so the cost follows
   * the size of the answer, not of the replica. The last page carries this replica's vector as of the call:
   * the peer raises its own to it (`completeCatchUp`) once every page is applied.
   */
  since(vector: VersionVector, options: PageOptions = {}): Generator<SnapshotPage, void, undefined> {
    const prefixes = checkPrefixes(options.prefixes);
    const pageSize = pageSizeOf(options.pageSize);
    checkVector(vector);
    return this.#reader.since(vector, prefixes, pageSize);
  }

  /**
   * Pages of every value and tombstone under `prefixes` (tombstones at or above a prefix included), with full
   * versions. The last page carries this replica's vector as of the call.
   */
  snapshot(prefixes: readonly string[] = [], options: Omit<PageOptions, 'prefixes'> = {}): Generator<SnapshotPage, void, undefined> {
    const wanted = checkPrefixes(prefixes);
    return this.#reader.snapshot(wanted, pageSizeOf(options.pageSize));
  }

  /** The pages answering a peer's request: `since(request.vector)` when it has a vector, else a full `snapshot`. */
  pages(request: SnapshotRequest): Generator<SnapshotPage, void, undefined> {
    const options = { prefixes: request.prefixes, pageSize: request.pageSize };
    return request.vector === undefined ? this.snapshot(request.prefixes, options) : this.since(request.vector, options);
  }

  /**
   * Merges snapshot or catch-up entries with their own versions (never re-stamped): the same gates as `apply`,
   * then last-writer-wins. The vector is not raised: call `completeCatchUp` (or use
   * `applyPage`) once the last page is applied.
   */
  applyEntries(entries: readonly CheckedEntry[], from = 'catch-up'): ApplyResult {
    if (!Array.isArray(entries)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}applyEntries needs an array of entries`);
    const into = this.#batch(from);
    this.#remote.entries(entries, from, into);
    return this.#finish(into);
  }

  /**
   * Loads what this node's own checksummed store recovered into this empty replica (`INVALID_ARGUMENT` otherwise),
   * reading afterwards exactly as `applyEntries(entries, 'disk')` then `completeCatchUp(vector, 'disk')` would,
   * without re-validating, duplicate checks, conflict detection or watchers (see `TrustedLoad`); it takes that
   * checked path itself when interests, a partition or mounts are set, or the clock refuses the entries.
   */
  load(entries: readonly CheckedEntry[], vector: VersionVector): void {
    if (!Array.isArray(entries)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}load needs an array of entries`);
    checkVector(vector);
    if (this.#loader.load(entries, vector)) return;
    this.applyEntries(entries, 'disk');
    this.completeCatchUp(vector, 'disk');
  }

  /** Applies one snapshot or catch-up page; on the last page, raises the vector to the page's (see `completeCatchUp`). */
  applyPage(page: SnapshotPage, from = 'catch-up'): ApplyResult {
    const result = this.applyEntries(page.entries, from);
    if (page.last && page.vector !== undefined) this.completeCatchUp(page.vector, from);
    return result;
  }

  /**
   * Raises this replica's vector to at least `vector`: call it once every page of a catch-up or snapshot taken
   * at that vector has been applied. A catch-up cut off half-way must not call it; it is asked for again.
   */
  completeCatchUp(vector: VersionVector, from = 'catch-up'): void {
    checkVector(vector);
    this.#remote.completeCatchUp(vector, from);
  }

  /**
   * Drops tombstones that can no longer matter and returns how many. A tombstone goes when `peers` (every other
   * node of the cluster: node id -> its vector) is not empty and each of them has applied it while this replica
   * has applied everything that peer had applied from itself when it reported (so no older write can still be on
   * its way here); or, with `tombstoneTtlMs`, when its hybrid time is older than that.
   */
  compactTombstones(peers: Readonly<Record<string, VersionVector>> = {}): number {
    const peerList = checkPeers(peers);
    const dropped = collectTombstones(this.#tree, this.#index, this.#seen, this.#merge.isLive, peerList, this.#clock.current().wallMs, this.#tombstoneTtlMs);
    this.#counters.tombstonesCollected += dropped;
    return dropped;
  }

  /**
   * Nodes whose writes are being refused for clock drift, with how many milliseconds ahead of this node's clock
   * the latest one was (an entry goes once a write of that node is accepted again).
   */
  clockSkew(): Record<string, number> {
    return this.#admission.clockSkew.snapshot();
  }

  /** Up to `max` recent conflicts, most recent first (the ring holds 128). */
  recentConflicts(max = 128): Conflict[] {
    return this.#conflicts.recent(max);
  }

  /** Paths whose value is a blob not hydrated here yet, with their references. */
  pendingBlobs(): { path: string; ref: BlobRef }[] {
    return this.#tree.pendingBlobs();
  }

  /**
   * Marks the blob value at `path` as hydrated (its chunks are in the blob store); with `bytes`, `get` returns
   * them while they are in memory (with a blob store, the most recent up to `blobCacheBytes`; `read` gets the
   * others back). Returns false when the path holds no pending blob (overwritten or deleted meanwhile).
   */
  markHydrated(path: string, bytes?: Uint8Array): boolean {
    if (!isValidPath(path)) throw invalidPath(path);
    const change = this.#values.markHydrated(path, bytes);
    if (change === undefined) return false;
    const batch = this.#batch('hydrator');
    batch.changes?.push(change);
    this.#publish(batch);
    return true;
  }

  /** Number of values held (tombstones excluded). */
  get size(): number {
    return this.#tree.size;
  }

  /** Number of tombstones held. */
  get tombstoneCount(): number {
    return this.#tree.tombstoneCount;
  }

  /** This node's highest local seq so far. */
  get localSeq(): number {
    return this.#local.seq;
  }

  /**
   * Makes the next local write take a sequence number above `seq`, without claiming to hold the writes up to it.
   * A node restarted with the same origin calls it with the highest sequence it had published before it stopped
   * (kept on its disk), so that it never reuses a number a peer may hold for an older write; those older writes
   * come back through catch-up. Without that record, start with a new `incarnation` instead.
   */
  reserveSequence(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= Number.MAX_SAFE_INTEGER) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}reserveSequence needs a non-negative integer below 2^53 - 1, not ${String(seq)}; a node whose record is unusable starts with a new incarnation`);
    }
    this.#local.reserve(seq);
  }

  /** Counters since creation and the gauges `entries`, `tombstones`, `pending`, `outbox` (names: the README). */
  counters(): Record<string, number> {
    return this.#counters.toRecord({ entries: this.#tree.size, tombstones: this.#tree.tombstoneCount, pending: this.#tree.pendingCount, outbox: this.outboxSize });
  }

  // ---------------------------------------------------------------- internals

  #batch(from: string): Batch {
    return new Batch(from, this.#watch.active);
  }

  #publish(batch: Batch): void {
    if (batch.changes !== undefined && batch.changes.length > 0) this.#watch.publish(batch.changes);
  }

  #finish(batch: Batch): ApplyResult {
    this.#counters.add(batch);
    this.#publish(batch);
    return batch.result();
  }
}
