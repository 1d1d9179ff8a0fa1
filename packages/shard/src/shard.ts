// Over the ~400-line rule, knowingly: the shard still keeps its path map, admission gates, catch-up reader,
// local log and blob values in one class. Splitting it over a path tree is the open issue "The replica is a tree".
import { createSha256, putChunked } from '@statemesh/blob-store';
import type { PutChunkedOptions } from '@statemesh/blob-store';
import {
  StatemeshError,
  compareVersions,
  isBlobRef,
  isStatemeshError,
  isSystemPath,
  isUnder,
  isUnderAny,
  isValidId,
  isValidPath,
  nodeOfOrigin,
  vectorCovers,
} from '@statemesh/contracts';
import type { BlobRef, BlobStore, Entry, Mutation, Payload, SnapshotPage, SnapshotRequest, Version, VersionVector } from '@statemesh/contracts';
import { HybridClock, pack, unpack } from '@statemesh/hlc';
import type { ApplyResult, RejectGate, RejectReason } from './apply-result.js';
import type { Change, ChangeListener } from './change.js';
import { CatchUpRefusals } from './catch-up-refusals.js';
import { ClockSkew } from './clock-skew.js';
import { ConflictRing } from './conflict-ring.js';
import type { Conflict } from './conflict-ring.js';
import { checkVector, pageSizeOf, positiveInteger } from './argument-check.js';
import { entryProblem, isValidType, mutationProblem } from './input-check.js';
import { originOf } from './incarnation.js';
import { Mounts } from './mounts.js';
import { OriginIndex } from './origin-index.js';
import { RetiredIncarnations } from './retired-incarnations.js';
import { Outbox } from './outbox.js';
import { SeenSet } from './seen-set.js';
import { config, invalidId, invalidPath, invalidType } from './shard-errors.js';
import type { ShardClock, ShardOptions, ShardPartition } from './shard-options.js';
import type { ShardEntry, ShardValue } from './shard-value.js';
import { Stored, Tombstone, compareParts } from './stored.js';
import { WatchHub } from './watch-hub.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MAX_REASONS = 1000;
const DEFAULT_MAX_INLINE = 65_536;
const DEFAULT_MAX_VALUE = 1024 * 1024 * 1024;
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

interface BatchCounts {
  applied: number;
  duplicate: number;
  stale: number;
  rejected: number;
  conflicts: number;
  reasons: RejectReason[];
  relay: readonly Mutation[];
}

/**
 * A replica of the state tree. Every write, local or remote, carries a version `(hlc, origin, seq)`; at each
 * path the greatest version wins (last-writer-wins by hybrid time, then origin, then seq), and a delete leaves a
 * tombstone that removes every older entry under its path. Replicas that received the same writes, in any
 * order and with any duplicates, hold the same tree: `digest()` proves it.
 */
export class Shard {
  /** The cluster this replica belongs to. */
  readonly clusterId: string;
  /** This node's id. */
  readonly nodeId: string;
  /** The origin of every local write: `nodeId`, or `<nodeId>~<incarnation>` (see `ShardOptions.incarnation`). */
  readonly origin: string;

  readonly #clock: ShardClock;
  readonly #partition: ShardPartition | undefined;
  readonly #enforcePartition: boolean;
  readonly #interests: readonly string[];
  readonly #resolveConflicts: boolean;
  readonly #mounts: Mounts | undefined;
  readonly #blobStore: BlobStore | undefined;
  readonly #offloadOptions: PutChunkedOptions | undefined;
  readonly #maxInline: number;
  readonly #maxValue: number;
  readonly #tombstoneTtlMs: number | undefined;
  readonly #log: (line: string) => void;

  readonly #values = new Map<string, Stored>();
  readonly #tombstones = new Map<string, Tombstone>();
  /**
   * The version each held value overwrote on its origin; absent: it overwrote nothing; null: not known (a
   * snapshot entry that did not say).
   */
  readonly #prevs = new Map<string, Version | null>();
  /** Paths whose value is a blob not hydrated here yet. */
  readonly #pending = new Set<string>();
  /** Bytes of blob-backed values, when this replica has them in memory. */
  readonly #blobBytes = new Map<string, Uint8Array>();
  readonly #seen = new SeenSet();
  readonly #index = new OriginIndex();
  readonly #conflicts = new ConflictRing(128);
  readonly #catchUpRefusals = new CatchUpRefusals();
  readonly #clockSkew = new ClockSkew();
  /** Incarnations known to be over (a later one of the same node was seen), and each node's latest one. */
  readonly #incarnations = new RetiredIncarnations();
  /** Peers already told about (logged once) for sending writes under this node's own origin. */
  readonly #forgers = new Set<string>();
  readonly #watch: WatchHub;
  readonly #known = { origins: new Map<string, string>(), types: new Map<string, string>() };
  #lastOrigin = '';
  #lastType = '';
  readonly #offloads = new Set<Promise<void>>();
  readonly #outbox = new Outbox();
  #localSeq = 0;
  /** Sequence numbers of local writes whose value is being stored as a blob, not yet publishable. */
  readonly #offloading = new Set<number>();
  #changes: Change[] | undefined = undefined;
  #from = 'local';
  #batchConflicts = 0;
  readonly #count = {
    localWrites: 0,
    applied: 0,
    duplicate: 0,
    stale: 0,
    rejected: 0,
    malformed: 0,
    interest: 0,
    partition: 0,
    clock: 0,
    origin: 0,
    authority: 0,
    conflictsDetected: 0,
    conflictsLost: 0,
    tombstonesCollected: 0,
    offloadStored: 0,
    offloadFailed: 0,
    watchErrors: 0,
  };

  readonly #isLive = (origin: string, seq: number, path: string): boolean => {
    const value = this.#values.get(path);
    if (value !== undefined && value.seq === seq && value.origin === origin) return true;
    const tombstone = this.#tombstones.get(path);
    return tombstone !== undefined && tombstone.seq === seq && tombstone.origin === origin;
  };

  constructor(options: ShardOptions) {
    if (typeof options !== 'object' || options === null) throw config('options must be an object with clusterId and nodeId');
    if (!isValidId(options.clusterId)) throw invalidId('clusterId', options.clusterId);
    if (!isValidId(options.nodeId)) throw invalidId('nodeId', options.nodeId);
    this.clusterId = options.clusterId;
    this.nodeId = options.nodeId;
    this.origin = this.#internOrigin(originOf(options.nodeId, options.incarnation));
    this.#clock = options.clock ?? new HybridClock();
    this.#partition = options.partition;
    this.#enforcePartition = options.enforcePartition ?? false;
    if (this.#enforcePartition && this.#partition === undefined) {
      throw config('enforcePartition needs a partition: pass partition: HashPartition.uniform([...nodes])');
    }
    const interests = options.interests ?? [];
    for (const prefix of interests) {
      if (!isValidPath(prefix)) throw new StatemeshError('INVALID_PATH', `${PREFIX}interest ${JSON.stringify(prefix)} is not a valid path prefix; use dot-separated segments of [A-Za-z0-9_-]`);
    }
    this.#interests = interests.includes('') ? [] : [...interests];
    this.#resolveConflicts = options.resolveConflicts ?? true;
    this.#mounts = Mounts.of(options.mounts);
    this.#blobStore = options.blobStore;
    this.#offloadOptions = options.offload;
    this.#maxInline = positiveInteger(options.maxInlinePayloadBytes, DEFAULT_MAX_INLINE, 'maxInlinePayloadBytes', 0);
    this.#maxValue = positiveInteger(options.maxValueBytes, DEFAULT_MAX_VALUE, 'maxValueBytes', 1);
    this.#tombstoneTtlMs = options.tombstoneTtlMs === undefined ? undefined : positiveInteger(options.tombstoneTtlMs, 0, 'tombstoneTtlMs', 0);
    this.#log = options.logger ?? ((line) => console.warn(line));
    this.#watch = new WatchHub((error) => {
      this.#count.watchErrors++;
      this.#log(`${PREFIX}a watch listener threw: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  // ---------------------------------------------------------------- local API

  /** Writes a JSON value; returns the write's version. */
  set(path: string, value: unknown, options?: WriteOptions): Version {
    const text = JSON.stringify(value);
    if (typeof text !== 'string') {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}set(${JSON.stringify(path)}) needs a JSON-serialisable value (got ${typeof value}); use setBytes for binary data`);
    }
    return this.#writeValue(path, 'json', text, options);
  }

  /** Writes a string (type `text`); returns the write's version. */
  setText(path: string, text: string, options?: WriteOptions): Version {
    if (typeof text !== 'string') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setText needs a string (got ${typeof text})`);
    return this.#writeValue(path, 'text', text, options);
  }

  /**
   * Writes bytes with a value type (default `bytes`); the bytes are copied. A value longer than
   * `maxInlinePayloadBytes` is stored as a chunked blob in the background: the version is returned at once and
   * the write is drained once the blob is stored (`flushOffloads()` waits for that).
   */
  setBytes(path: string, bytes: Uint8Array, type = 'bytes', options?: WriteOptions): Version {
    if (!(bytes instanceof Uint8Array)) throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}setBytes needs a Uint8Array`);
    if (!isValidType(type)) throw invalidType(type);
    return this.#writeValue(path, type, bytes.slice(), options);
  }

  /** Deletes the subtree at `path` (the root `''` deletes everything), leaving a tombstone; returns its version. */
  delete(path: string, options?: WriteOptions): Version {
    this.#checkWritePath(path, options, true);
    const hlc = pack(this.#clock.now());
    const seq = this.#nextSeq();
    const prev = this.#currentVersion(path);
    this.#beginBatch('local');
    this.#integrateDelete(path, hlc, this.origin, seq, prev, true);
    this.#outbox.push(path, '', hlc, seq, prev, undefined, true);
    this.#count.localWrites++;
    this.#endBatch();
    return { hlc, origin: this.origin, seq };
  }

  /** The value at `path`, or undefined. */
  get(path: string): ShardValue | undefined {
    if (!isValidPath(path)) throw invalidPath(path);
    const stored = this.#values.get(path);
    return stored === undefined ? undefined : this.#view(path, stored);
  }

  /** Every value under `prefix` (segment-aware; `''` is everything), sorted by path. */
  entries(prefix = ''): ShardEntry[] {
    if (!isValidPath(prefix)) throw invalidPath(prefix);
    const out: ShardEntry[] = [];
    for (const [path, stored] of this.#values) if (isUnder(path, prefix)) out.push({ path, ...this.#view(path, stored) });
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Calls `listener` once per applied batch (local write, `apply`, `applyEntries`) with the changes under `prefix`. */
  watch(prefix: string, listener: ChangeListener): () => void {
    if (!isValidPath(prefix)) throw invalidPath(prefix);
    if (typeof listener !== 'function') throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}watch needs a listener function`);
    return this.#watch.add(prefix, listener);
  }

  /**
   * SHA-256 (hex) of every visible value with its path, version, type and payload (a blob counts by its
   * reference), in path order. Replicas with equal digests hold equal trees. Tombstones are not hashed: they
   * change nothing visible, and a replica that has collected one must still digest like one that has not.
   */
  digest(): string {
    const paths = [...this.#values.keys()].sort();
    const hash = createSha256();
    for (const path of paths) {
      const stored = this.#values.get(path)!;
      hash.update(`${path}\0${stored.hlc}\0${stored.origin}\0${stored.seq}\0${stored.type}\0`);
      const payload = stored.payload;
      if (typeof payload === 'string') {
        hash.update(`i${utf8ByteLength(payload)}:`);
        hash.update(payload);
      } else if (payload instanceof Uint8Array) {
        hash.update(`i${payload.byteLength}:`);
        hash.update(payload);
      } else {
        hash.update(`r${payload.digest}:${payload.size}:${payload.codec}`);
      }
      hash.update('\n');
    }
    return hash.digestHex();
  }

  // ---------------------------------------------------------------- replication API

  /** Local writes not yet drained, oldest first, up to `max`; stops before a write whose blob is still being stored. */
  drain(max = Number.POSITIVE_INFINITY): Mutation[] {
    return this.#outbox.drain(max, this.origin, utf8);
  }

  /** Number of local writes not yet drained. */
  get outboxSize(): number {
    return this.#outbox.size;
  }

  /** Resolves once every blob offload started so far has finished (stored, or failed and sent inline). */
  async flushOffloads(): Promise<void> {
    while (this.#offloads.size > 0) await Promise.all(this.#offloads);
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
    const counts = newCounts();
    const gated = this.#interests.length > 0 || this.#enforcePartition;
    // The usual batch passes every gate: then it is its own candidate list and its own relay list.
    let candidates: Mutation[] | undefined;
    let relayGated: Mutation[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const mutation = batch[i]!;
      let keep = false;
      const problem = mutationProblem(mutation, this.#maxValue, this.#known);
      if (problem !== undefined) {
        this.#reject(counts, 'malformed', mutation, `malformed mutation from '${from}': ${problem}`);
      } else if (this.#seen.has(mutation.origin, mutation.seq)) {
        counts.duplicate++;
      } else if (mutation.origin === this.origin && mutation.seq > this.#localSeq) {
        this.#refuseOwnOrigin(counts, mutation, mutation.path, from);
      } else if (this.#mounts !== undefined && this.#refuseUnderAuthority(counts, mutation, mutation.path, mutation.op === 'delete', from)) {
        // Neither seen nor relayed: the vector stays below it (DESIGN section 2).
      } else {
        const gate = gated ? this.#gate(mutation.path, mutation.op === 'delete') : undefined;
        if (gate === undefined) keep = true;
        else if (this.#seen.add(this.#internOrigin(mutation.origin), mutation.seq)) {
          (relayGated ??= []).push(mutation);
          this.#reject(counts, gate[0], mutation, gate[1]);
        } else counts.duplicate++;
      }
      if (keep) candidates?.push(mutation);
      else candidates ??= batch.slice(0, i);
    }
    const list = candidates ?? (batch as Mutation[]);
    const accepted = this.#mergeClock(list, counts, hlcOfMutation, describeMutation, from, false);
    let relay: Mutation[] | undefined = accepted === batch ? undefined : [...(relayGated ?? [])];
    this.#beginBatch(from);
    for (let i = 0; i < accepted.length; i++) {
      const mutation = accepted[i]!;
      const origin = this.#internOrigin(mutation.origin);
      const seq = mutation.seq;
      if (!this.#seen.add(origin, seq)) {
        counts.duplicate++;
        relay ??= accepted.slice(0, i);
        continue;
      }
      relay?.push(mutation);
      const applied =
        mutation.op === 'set'
          ? this.#integrateSet(mutation.path, mutation.hlc, origin, seq, this.#internType(mutation.type), compactPayload(mutation.type, mutation.payload!), mutation.prev, true)
          : this.#integrateDelete(mutation.path, mutation.hlc, origin, seq, mutation.prev, true);
      if (applied) counts.applied++;
      else counts.stale++;
    }
    counts.relay = relay ?? (batch as Mutation[]);
    return this.#finish(counts);
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
  *since(vector: VersionVector, options: PageOptions = {}): Generator<SnapshotPage, void, undefined> {
    const prefixes = this.#checkPrefixes(options.prefixes);
    const pageSize = pageSizeOf(options.pageSize);
    checkVector(vector);
    const taken = this.#pageVector();
    const paths: string[] = [];
    for (const origin of this.#index.origins()) {
      this.#index.forEachAfter(origin, vector[origin] ?? 0, this.#isLive, (_seq, path) => {
        if (prefixes.length === 0 || isUnderAny(path, prefixes) || this.#coversPrefix(path, prefixes)) paths.push(path);
      });
    }
    let page: Entry[] = [];
    const seenPaths = new Set<string>();
    for (const path of paths) {
      if (seenPaths.has(path)) continue; // a value and a tombstone at one path are both emitted below
      seenPaths.add(path);
      const before = page.length;
      this.#entriesAt(path, prefixes, page);
      if (page.length === before) {
        const cover = this.#coveringTombstone(path);
        if (cover !== undefined) page.push(tombstoneEntry(cover[0], cover[1]));
      }
      if (page.length >= pageSize) {
        yield { entries: this.#publishable(page), last: false };
        page = [];
      }
    }
    yield { entries: this.#publishable(page), last: true, vector: taken };
  }

  /**
   * Pages of every value and tombstone under `prefixes` (tombstones at or above a prefix included), with full
   * versions. The last page carries this replica's vector as of the call.
   */
  *snapshot(prefixes: readonly string[] = [], options: Omit<PageOptions, 'prefixes'> = {}): Generator<SnapshotPage, void, undefined> {
    const wanted = this.#checkPrefixes(prefixes);
    const pageSize = pageSizeOf(options.pageSize);
    const taken = this.#pageVector();
    let page: Entry[] = [];
    for (const [path, tombstone] of this.#tombstones) {
      if (wanted.length === 0 || isUnderAny(path, wanted) || this.#coversPrefix(path, wanted)) page.push(tombstoneEntry(path, tombstone));
    }
    for (const [path, stored] of this.#values) {
      if (wanted.length !== 0 && !isUnderAny(path, wanted)) continue;
      page.push(valueEntry(path, stored, this.#prevs.get(path)));
      if (page.length >= pageSize) {
        yield { entries: this.#publishable(page), last: false };
        page = [];
      }
    }
    yield { entries: this.#publishable(page), last: true, vector: taken };
  }

  /**
   * The vector a snapshot or catch-up hands out: this replica's, except that it never claims a local write whose
   * value is still being stored as a blob. Such a write leaves only once stored, as a blob reference; a peer
   * that counted it seen from a page would drop that mutation as a duplicate and keep other bytes.
   */
  #pageVector(): Record<string, number> {
    const vector = this.vector();
    if (this.#offloading.size === 0) return vector;
    const firstPending = Math.min(...this.#offloading);
    if ((vector[this.origin] ?? 0) >= firstPending) vector[this.origin] = firstPending - 1;
    return vector;
  }

  /** `entries` without local writes whose value is still being stored as a blob (see `#pageVector`). */
  #publishable(entries: Entry[]): Entry[] {
    if (this.#offloading.size === 0) return entries;
    return entries.filter((entry) => entry.version.origin !== this.origin || !this.#offloading.has(entry.version.seq));
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
    const counts = newCounts();
    const candidates: Entry[] = [];
    for (const entry of entries) {
      const problem = entryProblem(entry, this.#maxValue, this.#known);
      if (problem !== undefined) {
        this.#reject(counts, 'malformed', entry?.version, `malformed entry from '${from}': ${problem}`, entry?.path);
        continue;
      }
      const { origin, seq } = entry.version;
      if (this.#seen.has(origin, seq)) {
        counts.duplicate++; // already applied live, or claimed by an earlier catch-up
        continue;
      }
      if (origin === this.origin && seq > this.#localSeq) {
        this.#refuseOwnOrigin(counts, entry.version, entry.path, from);
        this.#catchUpRefusals.record(from, origin, seq);
        continue;
      }
      if (this.#mounts !== undefined && this.#refuseUnderAuthority(counts, entry.version, entry.path, entry.tombstone, from)) {
        this.#catchUpRefusals.record(from, origin, seq);
        continue;
      }
      const gate = this.#gate(entry.path, entry.tombstone);
      if (gate !== undefined) {
        this.#reject(counts, gate[0], entry.version, gate[1], entry.path);
        continue;
      }
      candidates.push(entry);
    }
    const accepted = this.#mergeClock(candidates, counts, hlcOfEntry, describeEntry, from, true);
    this.#beginBatch(from);
    for (const entry of accepted) {
      const { hlc, seq } = entry.version;
      const origin = this.#internOrigin(entry.version.origin);
      // Not recorded as seen one by one (a large catch-up would hold every seq past a gap): the last page's
      // vector claims them. Seen again meanwhile, they are stale, and the conflict ring records a conflict once.
      const knowsPrev = entry.prev !== undefined;
      const prev = entry.prev ?? undefined;
      const applied = entry.tombstone
        ? this.#integrateDelete(entry.path, hlc, origin, seq, prev, knowsPrev)
        : this.#integrateSet(entry.path, hlc, origin, seq, this.#internType(entry.type), compactPayload(entry.type, entry.payload!), prev, knowsPrev);
      if (applied) counts.applied++;
      else counts.stale++;
    }
    return this.#finish(counts);
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
    const refused = this.#catchUpRefusals.take(from);
    if (refused?.blocksAll === true) return;
    for (const [origin, seq] of Object.entries(vector)) {
      let upTo = seq;
      const lowestRefused = refused?.lowest.get(origin);
      if (lowestRefused !== undefined && lowestRefused <= upTo) upTo = lowestRefused - 1;
      if (origin === this.origin && upTo > this.#localSeq) upTo = this.#localSeq;
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
    for (const [path, tombstone] of this.#tombstones) {
      const expired = this.#tombstoneTtlMs !== undefined && Number(tombstone.hlc >> 16n) + this.#tombstoneTtlMs <= nowMs;
      const covered =
        peerList.length > 0 &&
        peerList.every(([node, vector]) => vectorCovers(vector, tombstone) && this.#holdsOwnWritesOf(node, vector));
      if (!expired && !covered) continue;
      this.#tombstones.delete(path);
      this.#index.retire(tombstone.origin, this.#isLive);
      dropped++;
    }
    this.#count.tombstonesCollected += dropped;
    return dropped;
  }

  /**
   * Nodes whose writes are being refused for clock drift, with how many milliseconds ahead of this node's clock
   * the latest one was (an entry goes once a write of that node is accepted again).
   */
  clockSkew(): Record<string, number> {
    return this.#clockSkew.snapshot();
  }

  /** Up to `max` recent conflicts, most recent first (the ring holds 128). */
  recentConflicts(max = 128): Conflict[] {
    return this.#conflicts.recent(max);
  }

  /** Paths whose value is a blob not hydrated here yet, with their references. */
  pendingBlobs(): { path: string; ref: BlobRef }[] {
    const out: { path: string; ref: BlobRef }[] = [];
    for (const path of this.#pending) {
      const payload = this.#values.get(path)?.payload;
      if (payload !== undefined && isBlobRef(payload as Payload)) out.push({ path, ref: payload as BlobRef });
    }
    return out;
  }

  /**
   * Marks the blob value at `path` as hydrated (its chunks are in the blob store); with `bytes`, `get` returns
   * them from then on. Returns false when the path holds no pending blob (overwritten or deleted meanwhile).
   */
  markHydrated(path: string, bytes?: Uint8Array): boolean {
    if (!isValidPath(path)) throw invalidPath(path);
    const stored = this.#values.get(path);
    if (stored === undefined || !this.#pending.has(path)) return false;
    const ref = stored.payload as BlobRef;
    if (bytes !== undefined) {
      if (!(bytes instanceof Uint8Array) || bytes.byteLength !== ref.size) {
        throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}markHydrated(${JSON.stringify(path)}) got ${bytes instanceof Uint8Array ? bytes.byteLength : typeof bytes} bytes for a blob of ${ref.size}; pass the assembled, decoded value`);
      }
      this.#blobBytes.set(path, bytes);
    }
    this.#pending.delete(path);
    this.#beginBatch('hydrator');
    this.#recordChange(path, 'set', stored, stored.type, ref, false);
    this.#endBatch();
    return true;
  }

  /** Number of values held (tombstones excluded). */
  get size(): number {
    return this.#values.size;
  }

  /** Number of tombstones held. */
  get tombstoneCount(): number {
    return this.#tombstones.size;
  }

  /** This node's highest local seq so far. */
  get localSeq(): number {
    return this.#localSeq;
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
    if (seq > this.#localSeq) this.#localSeq = seq;
  }

  /**
   * Counters since creation: `local.writes`, `remote.applied`, `remote.duplicates`, `remote.stale`,
   * `remote.rejected` (and by gate `rejected.malformed|interest|partition|clock`), `conflicts.detected`,
   * `rejected.authority` (remote writes under an `authoritative` mount), `rejected.origin` (writes claiming this node's own origin with a seq it never used), `conflicts.lost`
   * (conflicts this node's own write lost), `tombstones.collected`, `offload.stored`,
   * `offload.failed`, `watch.errors`; and the gauges `entries`, `tombstones`, `pending`, `outbox`.
   */
  counters(): Record<string, number> {
    const c = this.#count;
    return {
      'local.writes': c.localWrites,
      'remote.applied': c.applied,
      'remote.duplicates': c.duplicate,
      'remote.stale': c.stale,
      'remote.rejected': c.rejected,
      'rejected.malformed': c.malformed,
      'rejected.interest': c.interest,
      'rejected.partition': c.partition,
      'rejected.clock': c.clock,
      'rejected.origin': c.origin,
      'rejected.authority': c.authority,
      'conflicts.detected': c.conflictsDetected,
      'conflicts.lost': c.conflictsLost,
      'tombstones.collected': c.tombstonesCollected,
      'offload.stored': c.offloadStored,
      'offload.failed': c.offloadFailed,
      'watch.errors': c.watchErrors,
      entries: this.#values.size,
      tombstones: this.#tombstones.size,
      pending: this.#pending.size,
      outbox: this.outboxSize,
    };
  }

  // ---------------------------------------------------------------- internals

  #writeValue(path: string, type: string, data: string | Uint8Array, options: WriteOptions | undefined): Version {
    this.#checkWritePath(path, options, false);
    const size = typeof data === 'string' ? (data.length * 3 <= this.#maxInline ? data.length : utf8ByteLength(data)) : data.byteLength;
    if (size > this.#maxValue) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxValueBytes (${this.#maxValue}); split it or raise the limit`, { details: { path, size, max: this.#maxValue } });
    }
    const offload = size > this.#maxInline;
    if (offload && this.#blobStore === undefined) {
      throw new StatemeshError('VALUE_TOO_LARGE', `${PREFIX}value of ${size} bytes at ${JSON.stringify(path)} exceeds maxInlinePayloadBytes (${this.#maxInline}) and no blobStore is configured; pass blobStore to offload large values, or raise maxInlinePayloadBytes`, { details: { path, size, max: this.#maxInline } });
    }
    const hlc = pack(this.#clock.now());
    const seq = this.#nextSeq();
    const prev = this.#currentVersion(path);
    const stored: Uint8Array | string = offload && typeof data === 'string' ? encoder.encode(data) : data;
    this.#beginBatch('local');
    const interned = this.#internType(type);
    this.#integrateSet(path, hlc, this.origin, seq, interned, stored, prev, true);
    const position = this.#outbox.push(path, interned, hlc, seq, prev, stored, !offload);
    this.#count.localWrites++;
    if (offload) this.#startOffload(path, seq, stored as Uint8Array, position);
    this.#endBatch();
    return { hlc, origin: this.origin, seq };
  }

  #startOffload(path: string, seq: number, bytes: Uint8Array, position: number): void {
    this.#offloading.add(seq);
    const task = putChunked(this.#blobStore!, bytes, this.#offloadOptions).then(
      (ref) => {
        this.#outbox.complete(position, ref);
        this.#count.offloadStored++;
        const stored = this.#values.get(path);
        if (stored !== undefined && stored.origin === this.origin && stored.seq === seq) {
          stored.payload = ref;
          this.#blobBytes.set(path, bytes);
        }
      },
      (error: unknown) => {
        // The write must still reach peers: it goes inline (a large frame) rather than not at all.
        this.#outbox.complete(position);
        this.#count.offloadFailed++;
        this.#log(`${PREFIX}could not store the value at '${path}' as a blob (${error instanceof Error ? error.message : String(error)}); it is sent inline`);
      },
    );
    const tracked = task.finally(() => {
      this.#offloads.delete(tracked);
      this.#offloading.delete(seq);
    });
    this.#offloads.add(tracked);
  }

  #checkWritePath(path: string, options: WriteOptions | undefined, allowRoot: boolean): void {
    if (!isValidPath(path) || (path === '' && !allowRoot)) throw invalidPath(path);
    if (isSystemPath(path) && options?.system !== true) {
      throw new StatemeshError('RESERVED_PATH', `${PREFIX}${JSON.stringify(path)} is under the reserved "__system" prefix, which holds the library's own metrics; write elsewhere`, { details: { path } });
    }
    const mount = this.#mounts?.touched(path, 'read-only', allowRoot);
    if (mount !== undefined) {
      throw new StatemeshError('READ_ONLY', `${PREFIX}${JSON.stringify(path)} ${mount === path || isUnder(path, mount) ? 'is under' : 'covers'} the read-only mount ${JSON.stringify(mount)} on node '${this.nodeId}': it takes other nodes' writes only; write elsewhere or mount it read-write`, { details: { path, mount } });
    }
  }

  #nextSeq(): number {
    if (this.#localSeq >= Number.MAX_SAFE_INTEGER - 1) {
      throw new StatemeshError('INTERNAL', `${PREFIX}origin '${this.origin}' has used every sequence number; restart the node with a new incarnation`);
    }
    const seq = ++this.#localSeq;
    // Recorded as one seq, not as a prefix: after `reserveSequence` the writes below it are not held here yet,
    // and the vector must not claim them, or catch-up would never bring them back.
    this.#seen.add(this.origin, seq);
    return seq;
  }

  /** What a local write at `path` overwrites: the value there, else the newest tombstone at or above it. */
  #currentVersion(path: string): Version | undefined {
    const stored = this.#values.get(path);
    if (stored !== undefined) return { hlc: stored.hlc, origin: stored.origin, seq: stored.seq };
    const cover = this.#coveringTombstone(path);
    return cover === undefined ? undefined : { hlc: cover[1].hlc, origin: cover[1].origin, seq: cover[1].seq };
  }

  /** The greatest tombstone at `path` or above it, with its path. */
  #coveringTombstone(path: string): [string, Tombstone] | undefined {
    const tombstones = this.#tombstones;
    if (tombstones.size === 0) return undefined;
    let bestPath = '';
    let best = tombstones.get('');
    if (path === '') return best === undefined ? undefined : ['', best];
    // The ancestors of `path` (its prefixes ending before a dot), then `path` itself.
    for (let end = path.indexOf('.'); ; end = path.indexOf('.', end + 1)) {
      const at = end === -1 ? path : path.slice(0, end);
      const tombstone = tombstones.get(at);
      if (tombstone !== undefined && (best === undefined || compareParts(tombstone.hlc, tombstone.origin, tombstone.seq, best) > 0)) {
        best = tombstone;
        bestPath = at;
      }
      if (end === -1) break;
    }
    return best === undefined ? undefined : [bestPath, best];
  }

  /** True when the tombstone path `path` is an ancestor of one of `prefixes` (so it affects what they hold). */
  #coversPrefix(path: string, prefixes: readonly string[]): boolean {
    for (const prefix of prefixes) if (isUnder(prefix, path)) return true;
    return false;
  }

  #integrateSet(path: string, hlc: bigint, origin: string, seq: number, type: string, payload: Payload | string, prev: Version | undefined, knowsPrev: boolean): boolean {
    const current = this.#values.get(path);
    if (current !== undefined) {
      const order = compareParts(hlc, origin, seq, current);
      if (order <= 0) {
        if (order < 0) this.#conflictWithHeld(path, current, { hlc, origin, seq });
        return false;
      }
      this.#conflict(path, { hlc, origin, seq }, prev, knowsPrev, current);
      const oldOrigin = current.origin;
      current.hlc = hlc;
      current.origin = origin;
      current.seq = seq;
      current.type = type;
      current.payload = payload;
      this.#index.retire(oldOrigin, this.#isLive);
      if (this.#pending.size > 0) this.#pending.delete(path);
      if (this.#blobBytes.size > 0) this.#blobBytes.delete(path);
    } else {
      const cover = this.#coveringTombstone(path);
      if (cover !== undefined) {
        const tombstone = cover[1];
        if (compareParts(hlc, origin, seq, tombstone) < 0) {
          if (cover[0] === path) this.#conflict(path, tombstone, tombstone.prev, true, { hlc, origin, seq });
          return false;
        }
        const here = this.#tombstones.get(path);
        if (here !== undefined) this.#conflict(path, { hlc, origin, seq }, prev, knowsPrev, here);
      }
      this.#values.set(path, new Stored(hlc, origin, seq, type, payload));
    }
    if (prev !== undefined) this.#prevs.set(path, prev);
    else if (!knowsPrev) this.#prevs.set(path, null);
    else if (this.#prevs.size > 0) this.#prevs.delete(path);
    this.#index.add(origin, seq, path);
    const ref = typeof payload === 'string' || payload instanceof Uint8Array ? undefined : payload;
    // Local writes never arrive here as a reference (they hold their bytes): any reference is to be fetched,
    // an own write of an earlier life (taken back by catch-up after a restart) included.
    if (ref !== undefined) this.#pending.add(path);
    if (this.#changes !== undefined) this.#recordChange(path, 'set', { hlc, origin, seq }, type, ref, ref !== undefined && this.#pending.has(path));
    return true;
  }

  #integrateDelete(path: string, hlc: bigint, origin: string, seq: number, prev: Version | undefined, knowsPrev: boolean): boolean {
    const cover = this.#coveringTombstone(path);
    if (cover !== undefined && compareParts(hlc, origin, seq, cover[1]) <= 0) return false;
    const incoming = { hlc, origin, seq };
    const here = this.#values.get(path);
    if (here !== undefined) {
      if (compareParts(hlc, origin, seq, here) < 0) this.#conflictWithHeld(path, here, incoming);
      else this.#conflict(path, incoming, prev, knowsPrev, here);
    }
    for (const [at, tombstone] of this.#tombstones) {
      if (isUnder(at, path) && compareParts(hlc, origin, seq, tombstone) > 0) {
        // Older tombstones at or below this one change nothing any more.
        this.#tombstones.delete(at);
        this.#index.retire(tombstone.origin, this.#isLive);
      }
    }
    this.#tombstones.set(path, new Tombstone(hlc, origin, seq, prev));
    this.#index.add(origin, seq, path);
    for (const [at, stored] of this.#values) {
      if (!isUnder(at, path) || compareParts(hlc, origin, seq, stored) < 0) continue;
      this.#values.delete(at);
      if (this.#prevs.size > 0) this.#prevs.delete(at);
      if (this.#pending.size > 0) this.#pending.delete(at);
      if (this.#blobBytes.size > 0) this.#blobBytes.delete(at);
      this.#index.retire(stored.origin, this.#isLive);
      if (this.#changes !== undefined) this.#recordChange(at, 'delete', incoming, '', undefined, false);
    }
    return true;
  }

  /**
   * Records a conflict when `loser` lost to `winner` and they are concurrent: different origins, and the winner
   * did not overwrite the loser (or anything newer) on its origin. `winnerPrevKnown` is false for snapshot
   * entries, whose prev is not carried: no conflict is claimed for them.
   */
  #conflict(path: string, winner: Version, winnerPrev: Version | undefined, winnerPrevKnown: boolean, loser: Version): void {
    if (!this.#resolveConflicts || !winnerPrevKnown || winner.origin === loser.origin) return;
    if (winnerPrev !== undefined && compareVersions(winnerPrev, loser) >= 0) return;
    const recorded = this.#conflicts.push({
      path,
      winner: { origin: winner.origin, seq: winner.seq, hlc: winner.hlc },
      loser: { origin: loser.origin, seq: loser.seq, hlc: loser.hlc },
      at: Date.now(),
    });
    if (!recorded) return; // seen before: the loser came again (relayed, or in another catch-up)
    this.#batchConflicts++;
    this.#count.conflictsDetected++;
    if (loser.origin === this.origin) this.#count.conflictsLost++;
  }

  /** A conflict where the value held at `path` beats `loser`: the held value's prev is known unless it is null. */
  #conflictWithHeld(path: string, held: Version, loser: Version): void {
    const prev = this.#prevs.get(path);
    this.#conflict(path, held, prev ?? undefined, prev !== null, loser);
  }

  #recordChange(path: string, op: 'set' | 'delete', version: Version, type: string, ref: BlobRef | undefined, pending: boolean): void {
    this.#changes?.push({ path, op, version: { hlc: version.hlc, origin: version.origin, seq: version.seq }, type, ref, pending, from: this.#from });
  }

  /** Which gate (interest or partition) turns a remote write at `path` away, with the reason; undefined to pass. */
  #gate(path: string, isDelete: boolean): [RejectGate, string] | undefined {
    const interests = this.#interests;
    if (interests.length > 0 && !isUnderAny(path, interests) && !(isDelete && this.#coversPrefix(path, interests))) {
      return ['interest', `path '${path}' is outside the interests of node '${this.nodeId}' (${interests.join(', ')})`];
    }
    // Deletes remove subtrees whose paths hash to every node, so every node applies them.
    if (this.#enforcePartition && !isDelete) {
      const owner = this.#partition!.ownerOf(path);
      if (owner !== this.nodeId) {
        return ['partition', owner === undefined ? `path '${path}' is assigned to no node by the partition, not '${this.nodeId}'` : `path '${path}' partitioned to node '${owner}', not '${this.nodeId}'`];
      }
    }
    return undefined;
  }

  /**
   * Merges the hybrid times of the accepted writes into the clock: once with the greatest (the usual case),
   * or one by one when that one drifts too far, rejecting just the writes whose time is too far ahead.
   */
  #mergeClock<T>(candidates: T[], counts: BatchCounts, hlcOf: (item: T) => bigint, describe: (item: T) => { origin: string; seq: number; path: string }, from: string, isCatchUp: boolean): T[] {
    if (candidates.length === 0) return candidates;
    let max = hlcOf(candidates[0]!);
    for (const item of candidates) if (hlcOf(item) > max) max = hlcOf(item);
    try {
      this.#clock.update(unpack(max));
      if (this.#clockSkew.size > 0) for (const item of candidates) this.#clockAcceptable(describe(item).origin);
      return candidates;
    } catch (error) {
      if (!isStatemeshError(error, 'CLOCK_DRIFT')) throw error;
    }
    const accepted: T[] = [];
    for (const item of candidates) {
      try {
        this.#clock.update(unpack(hlcOf(item)));
        accepted.push(item);
        if (this.#clockSkew.size > 0) this.#clockAcceptable(describe(item).origin);
      } catch (error) {
        if (!isStatemeshError(error, 'CLOCK_DRIFT')) throw error;
        const { origin, seq, path } = describe(item);
        this.#reject(counts, 'clock', { origin, seq }, `write ${origin}:${seq} at '${path}' rejected: ${error.message}`, path);
        if (isCatchUp) this.#catchUpRefusals.record(from, origin, seq, true);
        const aheadMs = Number((error.details as { aheadMs?: unknown } | undefined)?.aheadMs ?? Number.NaN);
        const node = nodeOfOrigin(origin);
        if (this.#clockSkew.refused(node, aheadMs)) {
          this.#log(`${PREFIX}writes of node '${node}' (received from '${from}') are ${aheadMs} ms ahead of this node's clock, past its drift bound: refused until the clocks agree, then caught up; further refusals are counted (rejected.clock) without a log line`);
        }
      }
    }
    return accepted;
  }

  #reject(counts: BatchCounts, gate: RejectGate, version: { origin?: unknown; seq?: unknown; path?: unknown } | undefined, reason: string, path?: unknown): void {
    counts.rejected++;
    this.#count[gate]++;
    if (counts.reasons.length < MAX_REASONS) {
      counts.reasons.push({
        gate,
        origin: typeof version?.origin === 'string' ? version.origin : '',
        seq: typeof version?.seq === 'number' ? version.seq : 0,
        path: typeof (path ?? version?.path) === 'string' ? String(path ?? version?.path) : '',
        reason,
      });
    }
  }

  /** Refuses a remote write under this node's own origin with a seq it never used; logs once per peer. */
  #refuseOwnOrigin(counts: BatchCounts, version: { origin: string; seq: number }, path: string, from: string): void {
    const reason = `write ${version.origin}:${version.seq} at '${path}' from '${from}' claims this node's own origin with a sequence number it never used (its latest is ${this.#localSeq}); refused`;
    this.#reject(counts, 'origin', version, reason, path);
    if (this.#forgers.size < MAX_REASONS && !this.#forgers.has(from)) {
      this.#forgers.add(from);
      this.#log(`${PREFIX}${reason}; further such writes from '${from}' are refused and counted (rejected.origin) without a log line`);
    }
  }

  #clockAcceptable(origin: string): void {
    const node = nodeOfOrigin(origin);
    if (this.#clockSkew.accepted(node)) this.#log(`${PREFIX}writes of node '${node}' are within the clock drift bound again`);
  }

  /** Refuses (and counts) a remote write touching a subtree this node is authoritative for; true when refused. */
  #refuseUnderAuthority(counts: BatchCounts, version: { origin: string; seq: number }, path: string, isDelete: boolean, from: string): boolean {
    const mount = this.#mounts!.touched(path, 'authoritative', isDelete);
    if (mount === undefined) return false;
    this.#reject(counts, 'authority', version, `write ${version.origin}:${version.seq} at '${path}' from '${from}' refused: node '${this.nodeId}' is authoritative for '${mount}'`, path);
    return true;
  }

  /** True when this replica holds every write peer `node` had applied from its own origins, as `vector` says. */
  #holdsOwnWritesOf(node: string, vector: VersionVector): boolean {
    for (const [origin, seq] of Object.entries(vector)) {
      if (nodeOfOrigin(origin) === node && this.#seen.contiguous(origin) < seq) return false;
    }
    return true;
  }

  #beginBatch(from: string): void {
    this.#from = from;
    this.#changes = this.#watch.active ? [] : undefined;
    this.#batchConflicts = 0;
  }

  #endBatch(): void {
    const changes = this.#changes;
    this.#changes = undefined;
    if (changes !== undefined && changes.length > 0) this.#watch.publish(changes);
  }

  #finish(counts: BatchCounts): ApplyResult {
    counts.conflicts = this.#batchConflicts;
    this.#count.applied += counts.applied;
    this.#count.duplicate += counts.duplicate;
    this.#count.stale += counts.stale;
    this.#count.rejected += counts.rejected;
    this.#endBatch();
    return counts;
  }

  #entriesAt(path: string, prefixes: readonly string[], out: Entry[]): void {
    const tombstone = this.#tombstones.get(path);
    if (tombstone !== undefined) out.push(tombstoneEntry(path, tombstone));
    const stored = this.#values.get(path);
    if (stored !== undefined && (prefixes.length === 0 || isUnderAny(path, prefixes))) out.push(valueEntry(path, stored, this.#prevs.get(path)));
  }

  #checkPrefixes(prefixes: readonly string[] | undefined): readonly string[] {
    if (prefixes === undefined) return [];
    for (const prefix of prefixes) if (!isValidPath(prefix)) throw invalidPath(prefix);
    return prefixes.includes('') ? [] : prefixes;
  }

  #view(path: string, stored: Stored): ShardValue {
    const version = { hlc: stored.hlc, origin: stored.origin, seq: stored.seq };
    const payload = stored.payload;
    let bytes: Uint8Array | undefined;
    let text: string | undefined;
    let ref: BlobRef | undefined;
    let pending = false;
    if (typeof payload === 'string') {
      text = payload;
      bytes = utf8(payload);
    } else if (payload instanceof Uint8Array) bytes = payload;
    else {
      ref = payload;
      pending = this.#pending.has(path);
      bytes = pending ? undefined : this.#blobBytes.get(path);
    }
    let value: unknown = bytes;
    if (bytes !== undefined && (stored.type === 'json' || stored.type === 'text')) {
      text ??= decoder.decode(bytes);
      if (stored.type === 'text') value = text;
      else {
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new StatemeshError('CORRUPT_INPUT', `${PREFIX}the value at ${JSON.stringify(path)} has type json but its bytes are not JSON (written by '${stored.origin}'); read it with entries() bytes or overwrite it`, { cause: error, details: { path } });
        }
      }
    }
    return { type: stored.type, version, value, bytes, ref, pending };
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

const COMPACT_TEXT_BYTES = 64;

/**
 * A short ASCII json/text payload is kept as a string: a one-byte string costs a fraction of the heap of a
 * Uint8Array view, and its UTF-8 bytes are exactly the bytes received.
 */
function compactPayload(type: string, payload: Payload): Payload | string {
  if (!(payload instanceof Uint8Array) || payload.length > COMPACT_TEXT_BYTES || (type !== 'json' && type !== 'text')) return payload;
  for (let i = 0; i < payload.length; i++) if (payload[i]! > 0x7f) return payload;
  return String.fromCharCode.apply(null, payload as unknown as number[]);
}

const hlcOfMutation = (mutation: Mutation): bigint => mutation.hlc;
const describeMutation = (mutation: Mutation): { origin: string; seq: number; path: string } => mutation;
const hlcOfEntry = (entry: Entry): bigint => entry.version.hlc;
const describeEntry = (entry: Entry): { origin: string; seq: number; path: string } => ({ ...entry.version, path: entry.path });

function newCounts(): BatchCounts {
  return { applied: 0, duplicate: 0, stale: 0, rejected: 0, conflicts: 0, reasons: [], relay: [] };
}

/** Node's `Buffer`, where the runtime has one (browsers do not): it counts UTF-8 bytes without encoding. */
const NodeBuffer = (globalThis as { Buffer?: { byteLength(text: string): number } }).Buffer;

/** How many bytes `text` takes in UTF-8. */
function utf8ByteLength(text: string): number {
  return NodeBuffer === undefined ? encoder.encode(text).byteLength : NodeBuffer.byteLength(text);
}

/** UTF-8 bytes of `text`; short ASCII text (most json and text values) without a call into the encoder. */
function utf8(text: string): Uint8Array {
  const length = text.length;
  if (length > COMPACT_TEXT_BYTES) return encoder.encode(text);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return encoder.encode(text);
    out[i] = code;
  }
  return out;
}

/** `prev` as the shard keeps it (absent: overwrote nothing; null: unknown) becomes the entry's (null: nothing). */
function valueEntry(path: string, stored: Stored, prev: Version | null | undefined): Entry {
  const payload = typeof stored.payload === 'string' ? utf8(stored.payload) : stored.payload;
  const version = { hlc: stored.hlc, origin: stored.origin, seq: stored.seq };
  if (prev === null) return { path, version, tombstone: false, type: stored.type, payload };
  return { path, version, tombstone: false, type: stored.type, payload, prev: prev ?? null };
}

function tombstoneEntry(path: string, tombstone: Tombstone): Entry {
  const version = { hlc: tombstone.hlc, origin: tombstone.origin, seq: tombstone.seq };
  return tombstone.prev === undefined ? { path, version, tombstone: true, type: '' } : { path, version, tombstone: true, type: '', prev: tombstone.prev };
}







