import type { PutChunkedOptions } from '@statemesh/blob-store';
import { StatemeshError, VersionStamp, isSystemPath, isUnder, isValidId, isValidPath, nodeOfOrigin, vectorCovers } from '@statemesh/contracts';
import type { BlobRef, Entry, Mutation, SnapshotPage, SnapshotRequest, Version, VersionVector } from '@statemesh/contracts';
import { HybridClock, pack } from '@statemesh/hlc';
import { Admission } from './admission.js';
import type { ApplyResult } from './apply-result.js';
import { checkVector, pageSizeOf, positiveInteger } from './argument-check.js';
import { Batch } from './batch.js';
import { BlobValues } from './blob-values.js';
import { AppliedChange } from './change.js';
import type { Change, ChangeListener, WatchOptions } from './change.js';
import { CatchUpReader } from './catch-up-reader.js';
import { ConflictRing } from './conflict-ring.js';
import type { Conflict } from './conflict-ring.js';
import { originOf } from './incarnation.js';
import { isValidType } from './input-check.js';
import type { KnownValid } from './input-check.js';
import { jsonText } from './json-text.js';
import { LocalLog } from './local-log.js';
import { Mounts } from './mounts.js';
import { OriginIndex } from './origin-index.js';
import { BlobValue } from './path-record.js';
import { PathTree } from './path-tree.js';
import { RetiredIncarnations } from './retired-incarnations.js';
import { SeenSet } from './seen-set.js';
import { ShardCounters } from './shard-counters.js';
import { config, invalidId, invalidPath, invalidType } from './shard-errors.js';
import type { ShardClock, ShardOptions } from './shard-options.js';
import type { ShardEntry, ShardValue } from './shard-value.js';
import { digestOf } from './tree-digest.js';
import { TreeMerge } from './tree-merge.js';
import { ValueReader } from './value-reader.js';
import { remotePayload, utf8ByteLength } from './value-decode.js';
import { WatchHub } from './watch-hub.js';

const encoder = new TextEncoder();
const DEFAULT_MAX_INLINE = 65_536;
const DEFAULT_MAX_VALUE = 1024 * 1024 * 1024;
const DEFAULT_BLOB_CACHE = 64 * 1024 * 1024;
const PREFIX = '@statemesh/shard: ';

/** Options of a local write. */
export interface WriteOptions {
  /** Internal: allow a write under the reserved `__system` prefix (the session's metrics). */
  readonly system?: boolean | undefined;
}

/** Options of `snapshot` and `since`. */
export interface PageOptions {
  /** Only entries under these prefixes (and tombstones at or above them); empty or absent: the whole tree. */
  readonly prefixes?: readonly string[] | undefined;
  /** Entries per page (default 1000). */
  readonly pageSize?: number | undefined;
}

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
  readonly #mounts: Mounts | undefined;
  readonly #offloadOptions: PutChunkedOptions | undefined;
  readonly #maxInline: number;
  readonly #maxValue: number;
  readonly #tombstoneTtlMs: number | undefined;
  readonly #log: (line: string) => void;

  readonly #tree = new PathTree();
  readonly #seen = new SeenSet();
  readonly #index = new OriginIndex();
  readonly #conflicts = new ConflictRing(128);
  readonly #counters = new ShardCounters();
  /** Incarnations known to be over (a later one of the same node was seen), and each node's latest one. */
  readonly #incarnations = new RetiredIncarnations();
  readonly #known: KnownValid & { origins: Map<string, string>; types: Map<string, string> };
  readonly #watch: WatchHub;
  readonly #admission: Admission;
  readonly #merge: TreeMerge;
  readonly #local: LocalLog;
  readonly #reader: CatchUpReader;
  readonly #blobs: BlobValues;
  readonly #values: ValueReader;
  #lastOrigin = '';
  #lastType = '';

  constructor(options: ShardOptions) {
    if (typeof options !== 'object' || options === null) throw config('options must be an object with clusterId and nodeId');
    if (!isValidId(options.clusterId)) throw invalidId('clusterId', options.clusterId);
    if (!isValidId(options.nodeId)) throw invalidId('nodeId', options.nodeId);
    this.clusterId = options.clusterId;
    this.nodeId = options.nodeId;
    this.#known = { origins: new Map(), types: new Map(), isKnownPath: (path) => this.#tree.get(path) !== undefined };
    this.origin = this.#internOrigin(originOf(options.nodeId, options.incarnation));
    this.#clock = options.clock ?? new HybridClock();
    const enforcePartition = options.enforcePartition ?? false;
    if (enforcePartition && options.partition === undefined) {
      throw config('enforcePartition needs a partition: pass partition: HashPartition.uniform([...nodes])');
    }
    const interests = options.interests ?? [];
    for (const prefix of interests) {
      if (!isValidPath(prefix)) throw new StatemeshError('INVALID_PATH', `${PREFIX}interest ${JSON.stringify(prefix)} is not a valid path prefix; use dot-separated segments of [A-Za-z0-9_-]`);
    }
    this.#mounts = Mounts.of(options.mounts);
    this.#offloadOptions = options.offload;
    this.#maxInline = positiveInteger(options.maxInlinePayloadBytes, DEFAULT_MAX_INLINE, 'maxInlinePayloadBytes', 0);
    this.#maxValue = positiveInteger(options.maxValueBytes, DEFAULT_MAX_VALUE, 'maxValueBytes', 1);
    this.#tombstoneTtlMs = options.tombstoneTtlMs === undefined ? undefined : positiveInteger(options.tombstoneTtlMs, 0, 'tombstoneTtlMs', 0);
    const blobCache = positiveInteger(options.blobCacheBytes, DEFAULT_BLOB_CACHE, 'blobCacheBytes', 0);
    this.#log = options.logger ?? ((line) => console.warn(line));
    this.#watch = new WatchHub((error) => {
      this.#counters.watchErrors++;
      this.#log(`${PREFIX}a watch listener threw: ${error instanceof Error ? error.message : String(error)}`);
    });
    const local = (this.#local = new LocalLog(this.origin, this.#seen));
    this.#admission = new Admission(
      { nodeId: this.nodeId, origin: this.origin, clock: this.#clock, seen: this.#seen, counters: this.#counters, known: this.#known, log: this.#log, localSeq: () => local.seq, intern: (origin) => this.#internOrigin(origin) },
      { interests: interests.includes('') ? [] : [...interests], partition: options.partition, enforcePartition, mounts: this.#mounts, maxValue: this.#maxValue },
    );
    this.#merge = new TreeMerge(this.#tree, this.#index, this.#conflicts, this.#counters, options.resolveConflicts ?? true, this.origin);
    this.#reader = new CatchUpReader(this.#tree, this.#index, this.#merge.isLive, this.#local, this.origin, () => this.vector());
    this.#blobs = new BlobValues(options.blobStore, options.offload?.registry, blobCache);
    this.#values = new ValueReader(this.#tree, this.#blobs);
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
    return this.#writeValue(path, 'json', text, options, primitive ? value : undefined, primitive);
  }

  /** Writes a string (type `text`); returns the write's version. */
  setText(path: string, text: string, options?: WriteOptions): Version {
    if (typeof text !== 'string') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setText needs a string (got ${typeof text})`);
    return this.#writeValue(path, 'text', text, options, undefined, false);
  }

  /**
   * Writes bytes with a value type (default `bytes`); the bytes are copied. A value longer than
   * `maxInlinePayloadBytes` is stored as a chunked blob in the background: the version is returned at once and
   * the write is drained once the blob is stored (`flushOffloads()` waits for that).
   */
  setBytes(path: string, bytes: Uint8Array, type = 'bytes', options?: WriteOptions): Version {
    if (!(bytes instanceof Uint8Array)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setBytes needs a Uint8Array`);
    if (!isValidType(type)) throw invalidType(type);
    return this.#writeValue(path, type, bytes.slice(), options, undefined, false);
  }

  /** Deletes the subtree at `path` (the root `''` deletes everything), leaving a tombstone; returns its version. */
  delete(path: string, options?: WriteOptions): Version {
    this.#checkWritePath(path, options, true);
    const hlc = pack(this.#clock.now());
    const seq = this.#local.next();
    const prev = this.#currentVersion(path);
    const batch = this.#batch('local');
    this.#merge.delete(batch, path, hlc, this.origin, seq, prev, true);
    this.#local.push(path, '', hlc, seq, prev, undefined, true);
    this.#counters.localWrites++;
    this.#publish(batch);
    return new VersionStamp(hlc, this.origin, seq);
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
  drain(max = Number.POSITIVE_INFINITY): Mutation[] {
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
   * Applies a batch of remote mutations received from peer `from`. Gates, in order: well-formed, duplicate (by
   * `(origin, seq)`), own origin (a seq this node never used), authority (mounts), interests, partition (sets
   * only), clock drift, then last-writer-wins. Every mutation is
   * checked before any is applied; a malformed one is rejected whole and the rest still apply.
   */
  apply(batch: readonly Mutation[], from: string): ApplyResult {
    if (!isValidId(from)) throw invalidId('from', from);
    if (!Array.isArray(batch)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}apply needs an array of mutations`);
    const into = this.#batch(from);
    const { accepted, relayGated } = this.#admission.mutations(batch, from, into);
    let relay: Mutation[] | undefined = accepted === batch ? undefined : [...(relayGated ?? [])];
    for (let i = 0; i < accepted.length; i++) {
      const mutation = accepted[i]!;
      const origin = this.#internOrigin(mutation.origin);
      const seq = mutation.seq;
      if (!this.#seen.add(origin, seq)) {
        into.duplicate++;
        relay ??= accepted.slice(0, i);
        continue;
      }
      relay?.push(mutation);
      const applied =
        mutation.op === 'set'
          ? this.#merge.set(into, mutation.path, mutation.hlc, origin, seq, this.#internType(mutation.type), remotePayload(mutation.type, mutation.payload!), mutation.prev, true)
          : this.#merge.delete(into, mutation.path, mutation.hlc, origin, seq, mutation.prev, true);
      if (applied) into.applied++;
      else into.stale++;
    }
    into.relay = relay ?? (batch as Mutation[]);
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
    const prefixes = this.#checkPrefixes(options.prefixes);
    const pageSize = pageSizeOf(options.pageSize);
    checkVector(vector);
    return this.#reader.since(vector, prefixes, pageSize);
  }

  /**
   * Pages of every value and tombstone under `prefixes` (tombstones at or above a prefix included), with full
   * versions. The last page carries this replica's vector as of the call.
   */
  snapshot(prefixes: readonly string[] = [], options: Omit<PageOptions, 'prefixes'> = {}): Generator<SnapshotPage, void, undefined> {
    const wanted = this.#checkPrefixes(prefixes);
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
  applyEntries(entries: readonly Entry[], from = 'catch-up'): ApplyResult {
    if (!Array.isArray(entries)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}applyEntries needs an array of entries`);
    const into = this.#batch(from);
    for (const entry of this.#admission.entries(entries, from, into)) {
      const { hlc, seq } = entry.version;
      const origin = this.#internOrigin(entry.version.origin);
      // Not recorded as seen one by one (a large catch-up would hold every seq past a gap): the last page's
      // vector claims them. Seen again meanwhile, they are stale, and the conflict ring records a conflict once.
      const knowsPrev = entry.prev !== undefined;
      const prev = entry.prev ?? undefined;
      const applied = entry.tombstone
        ? this.#merge.delete(into, entry.path, hlc, origin, seq, prev, knowsPrev)
        : this.#merge.set(into, entry.path, hlc, origin, seq, this.#internType(entry.type), remotePayload(entry.type, entry.payload!), prev, knowsPrev);
      if (applied) into.applied++;
      else into.stale++;
    }
    return this.#finish(into);
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
    // Never over a write refused in this catch-up's pages (asked for again next time), and not at all while a
    // write refused for clock drift stands: it may have superseded writes of any origin, which the sender therefore
    // left out of its pages. Never over this node's own counter (a peer cannot advance it), nor to learn it.
    const refused = this.#admission.catchUpRefusals.take(from);
    if (refused?.blocksAll === true) return;
    for (const [origin, seq] of Object.entries(vector)) {
      let upTo = seq;
      const lowestRefused = refused?.lowest.get(origin);
      if (lowestRefused !== undefined && lowestRefused <= upTo) upTo = lowestRefused - 1;
      if (origin === this.origin && upTo > this.#local.seq) upTo = this.#local.seq;
      if (upTo > 0) this.#seen.raise(this.#internOrigin(origin), upTo);
    }
  }

  /**
   * Drops tombstones that can no longer matter and returns how many. A tombstone goes when `peers` (every other
   * node of the cluster: node id -> its vector) is not empty and each of them has applied it while this replica
   * has applied everything that peer had applied from itself when it reported (so no older write can still be on
   * its way here); or, with `tombstoneTtlMs`, when its hybrid time is older than that.
   */
  compactTombstones(peers: Readonly<Record<string, VersionVector>> = {}): number {
    const peerList = Object.entries(peers);
    for (const [node, vector] of peerList) {
      if (!isValidId(node)) throw invalidId('peer', node);
      checkVector(vector);
    }
    const nowMs = this.#clock.current().wallMs;
    let dropped = 0;
    for (const path of this.#tree.tombstonePaths()) {
      const record = this.#tree.get(path)!;
      const tombstone = record.tombstone!;
      const expired = this.#tombstoneTtlMs !== undefined && Number(tombstone.hlc >> 16n) + this.#tombstoneTtlMs <= nowMs;
      const covered = peerList.length > 0 && peerList.every(([node, vector]) => vectorCovers(vector, tombstone) && this.#holdsOwnWritesOf(node, vector));
      if (!expired && !covered) continue;
      this.#tree.removeTombstone(path, record);
      this.#index.retire(tombstone.origin, this.#merge.isLive);
      dropped++;
    }
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
    const record = this.#tree.get(path);
    if (record === undefined || !this.#values.isPending(record)) return false;
    const ref = (record.payload as BlobValue).ref;
    if (bytes !== undefined && (!(bytes instanceof Uint8Array) || bytes.byteLength !== ref.size)) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}markHydrated(${JSON.stringify(path)}) got ${bytes instanceof Uint8Array ? bytes.byteLength : typeof bytes} bytes for a blob of ${ref.size}; pass the assembled, decoded value`);
    }
    this.#values.hydrated(path, record, bytes);
    const batch = this.#batch('hydrator');
    batch.changes?.push(new AppliedChange(path, 'set', new VersionStamp(record.hlc, record.origin, record.seq), record.type, bytes, undefined, ref, false, 'hydrator'));
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

  /**
   * Counters since creation: `local.writes`, `remote.applied`, `remote.duplicates`, `remote.stale`,
   * `remote.rejected` (and by gate `rejected.malformed|interest|partition|clock`), `conflicts.detected`,
   * `rejected.authority` (remote writes under an `authoritative` mount), `rejected.origin` (writes claiming this node's own origin with a seq it never used), `conflicts.lost`
   * (conflicts this node's own write lost), `tombstones.collected`, `offload.stored`,
   * `offload.failed`, `watch.errors`; and the gauges `entries`, `tombstones`, `pending`, `outbox`.
   */
  counters(): Record<string, number> {
    return this.#counters.toRecord({ entries: this.#tree.size, tombstones: this.#tree.tombstoneCount, pending: this.#tree.pendingCount, outbox: this.outboxSize });
  }

  // ---------------------------------------------------------------- internals

  #writeValue(path: string, type: string, data: string | Uint8Array, options: WriteOptions | undefined, primitive: unknown, isPrimitive: boolean): Version {
    this.#checkWritePath(path, options, false);
    const size = typeof data === 'string' ? (data.length * 3 <= this.#maxInline ? data.length : utf8ByteLength(data)) : data.byteLength;
    if (size > this.#maxValue) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxValueBytes (${this.#maxValue}); split it or raise the limit`, { details: { path, size, max: this.#maxValue } });
    }
    const offload = size > this.#maxInline;
    if (offload && !this.#blobs.backed) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxInlinePayloadBytes (${this.#maxInline}) and no blobStore is configured; pass blobStore to offload large values, or raise maxInlinePayloadBytes`, { details: { path, size, max: this.#maxInline } });
    }
    const hlc = pack(this.#clock.now());
    const seq = this.#local.next();
    const prev = this.#currentVersion(path);
    const stored: Uint8Array | string = offload && typeof data === 'string' ? encoder.encode(data) : data;
    const batch = this.#batch('local');
    const interned = this.#internType(type);
    this.#merge.set(batch, path, hlc, this.origin, seq, interned, isPrimitive && !offload ? (primitive as number | boolean | null) : stored, prev, true);
    const position = this.#local.push(path, interned, hlc, seq, prev, stored, !offload);
    this.#counters.localWrites++;
    if (offload) this.#startOffload(path, seq, stored as Uint8Array, position);
    this.#publish(batch);
    return new VersionStamp(hlc, this.origin, seq);
  }

  #startOffload(path: string, seq: number, bytes: Uint8Array, position: number): void {
    this.#local.offload(
      this.#values.store!,
      this.#offloadOptions,
      seq,
      bytes,
      position,
      (ref) => {
        this.#counters.offloadStored++;
        const record = this.#tree.get(path);
        // Still this write: from now on the value is its reference, its bytes in memory only while the bound allows.
        if (record !== undefined && record.type !== '' && record.origin === this.origin && record.seq === seq) this.#values.offloaded(path, record, ref, bytes);
      },
      (error) => {
        this.#counters.offloadFailed++;
        this.#log(`${PREFIX}could not store the value at '${path}' as a blob (${error instanceof Error ? error.message : String(error)}); it is sent inline`);
      },
    );
  }

  #checkWritePath(path: string, options: WriteOptions | undefined, allowRoot: boolean): void {
    // A path the tree holds was checked when first written: no regular expression again.
    if ((this.#tree.get(path) === undefined && !isValidPath(path)) || (path === '' && !allowRoot)) throw invalidPath(path);
    if (isSystemPath(path) && options?.system !== true) {
      throw new StatemeshError('RESERVED_PATH', `${PREFIX}${JSON.stringify(path)} is under the reserved "__system" prefix, which holds the library's own metrics; write elsewhere`, { details: { path } });
    }
    const mount = this.#mounts?.touched(path, 'read-only', allowRoot);
    if (mount !== undefined) {
      throw new StatemeshError('READ_ONLY', `${PREFIX}${JSON.stringify(path)} ${mount === path || isUnder(path, mount) ? 'is under' : 'covers'} the read-only mount ${JSON.stringify(mount)} on node '${this.nodeId}': it takes other nodes' writes only; write elsewhere or mount it read-write`, { details: { path, mount } });
    }
  }

  /** What a local write at `path` overwrites: the value there, else the newest tombstone at or above it. */
  #currentVersion(path: string): Version | undefined {
    const record = this.#tree.get(path);
    if (record !== undefined && record.type !== '') return { hlc: record.hlc, origin: record.origin, seq: record.seq };
    const cover = this.#tree.coveringTombstone(path);
    return cover === undefined ? undefined : { hlc: cover[1].hlc, origin: cover[1].origin, seq: cover[1].seq };
  }

  /** True when this replica holds every write peer `node` had applied from its own origins, as `vector` says. */
  #holdsOwnWritesOf(node: string, vector: VersionVector): boolean {
    for (const [origin, seq] of Object.entries(vector)) {
      if (nodeOfOrigin(origin) === node && this.#seen.contiguous(origin) < seq) return false;
    }
    return true;
  }

  #batch(from: string): Batch {
    return new Batch(from, this.#watch.active);
  }

  #publish(batch: Batch): void {
    if (batch.changes !== undefined && batch.changes.length > 0) this.#watch.publish(batch.changes);
  }

  #finish(batch: Batch): ApplyResult {
    const counters = this.#counters;
    counters.applied += batch.applied;
    counters.duplicate += batch.duplicate;
    counters.stale += batch.stale;
    counters.rejected += batch.rejected;
    this.#publish(batch);
    return batch.result();
  }

  #checkPrefixes(prefixes: readonly string[] | undefined): readonly string[] {
    if (prefixes === undefined) return [];
    for (const prefix of prefixes) if (!isValidPath(prefix)) throw invalidPath(prefix);
    return prefixes.includes('') ? [] : prefixes;
  }

  /** One string object per origin id (and per type below), however many decoded copies arrive. */
  #internOrigin(origin: string): string {
    if (origin === this.#lastOrigin) return this.#lastOrigin;
    let known = this.#known.origins.get(origin);
    if (known === undefined) {
      known = origin;
      this.#known.origins.set(origin, origin);
      this.#incarnations.saw(origin);
    }
    this.#lastOrigin = known;
    return known;
  }

  #internType(type: string): string {
    if (type === this.#lastType) return this.#lastType;
    let known = this.#known.types.get(type);
    if (known === undefined) {
      known = type;
      this.#known.types.set(type, type);
    }
    this.#lastType = known;
    return known;
  }
}
