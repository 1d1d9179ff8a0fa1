import type { BlobRef, Version } from '@statemesh/contracts';
import { BlobValue, PathRecord, Tombstone, compareParts, isPendingPayload } from './path-record.js';
import type { HeldPayload } from './path-record.js';
import { PathOrder } from './path-order.js';

/**
 * The replica's tree: one {@link PathRecord} per path that holds a value or a tombstone, found by path in a `Map`
 * (a point lookup is one map lookup), with the paths also kept in sorted order ({@link PathOrder}) so that a
 * subtree is walked in proportion to its size and the log of the tree's. Every change to a record goes through
 * here, which keeps the counts (values, tombstones, pending blobs) and the indexes in step.
 */
export class PathTree {
  readonly #records = new Map<string, PathRecord>();
  readonly #order = new PathOrder((path) => this.#records.has(path));
  /** Paths holding a tombstone (few: tombstones are collected). */
  readonly #tombstones = new Set<string>();
  /** Paths holding a blob value not hydrated here yet. */
  readonly #pending = new Set<string>();
  #values = 0;

  /** The record at `path`, or undefined. */
  get(path: string): PathRecord | undefined {
    return this.#records.get(path);
  }

  /** Number of values held. */
  get size(): number {
    return this.#values;
  }

  /** Number of tombstones held. */
  get tombstoneCount(): number {
    return this.#tombstones.size;
  }

  /** Number of blob values not hydrated here yet. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** True when the replica holds `(origin, seq)` at `path`, as its value or its tombstone. */
  holds(origin: string, seq: number, path: string): boolean {
    const record = this.#records.get(path);
    if (record === undefined) return false;
    if (record.seq === seq && record.origin === origin && record.type !== '') return true;
    const tombstone = record.tombstone;
    return tombstone !== undefined && tombstone.seq === seq && tombstone.origin === origin;
  }

  /** Sets the value at `path` (a new record, or `record` overwritten); returns the record. */
  setValue(path: string, record: PathRecord | undefined, hlc: bigint, origin: string, seq: number, type: string, payload: HeldPayload, prev: Version | null | undefined): PathRecord {
    if (record === undefined) {
      record = new PathRecord(hlc, origin, seq, type, payload, prev);
      this.#records.set(path, record);
      this.#order.add(path);
      this.#values++;
    } else {
      if (record.type === '') this.#values++;
      else if (isPendingPayload(record.payload)) this.#pending.delete(path);
      record.hlc = hlc;
      record.origin = origin;
      record.seq = seq;
      record.type = type;
      record.payload = payload;
      record.prev = prev;
    }
    if (isPendingPayload(payload)) this.#pending.add(path);
    return record;
  }

  /** Removes the value at `path` (its tombstone, if any, stays). */
  removeValue(path: string, record: PathRecord): void {
    if (record.type === '') return;
    if (isPendingPayload(record.payload)) this.#pending.delete(path);
    this.#values--;
    record.type = '';
    record.payload = undefined;
    record.prev = undefined;
    this.#release(path, record);
  }

  /** Replaces the payload of the value at `path`, keeping its version (decoded, hydrated, stored as a blob). */
  replacePayload(path: string, record: PathRecord, payload: HeldPayload): void {
    if (isPendingPayload(record.payload)) this.#pending.delete(path);
    record.payload = payload;
    if (isPendingPayload(payload)) this.#pending.add(path);
  }

  /** Puts a tombstone at `path` (replacing the one there); returns the record. */
  setTombstone(path: string, tombstone: Tombstone): PathRecord {
    let record = this.#records.get(path);
    if (record === undefined) {
      record = new PathRecord(0n, '', 0, '', undefined, undefined);
      record.tombstone = tombstone;
      this.#records.set(path, record);
      this.#order.add(path);
    } else record.tombstone = tombstone;
    this.#tombstones.add(path);
    return record;
  }

  /** Removes the tombstone at `path`. */
  removeTombstone(path: string, record: PathRecord): void {
    if (record.tombstone === undefined) return;
    record.tombstone = undefined;
    this.#tombstones.delete(path);
    this.#release(path, record);
  }

  /** Calls `visit` for every record at or under `prefix`, in path order; `visit` may change the tree. */
  forEachUnder(prefix: string, visit: (path: string, record: PathRecord) => void): void {
    this.#order.forEachUnder(prefix, (path) => {
      const record = this.#records.get(path);
      if (record !== undefined) visit(path, record);
    });
  }

  /** Every record, in no particular order (the map's). */
  records(): IterableIterator<[string, PathRecord]> {
    return this.#records.entries();
  }

  /** The paths holding a tombstone (a copy: callers may remove them). */
  tombstonePaths(): string[] {
    return [...this.#tombstones];
  }

  /** The blob values not hydrated yet, with their references. */
  pendingBlobs(): { path: string; ref: BlobRef }[] {
    const out: { path: string; ref: BlobRef }[] = [];
    for (const path of this.#pending) out.push({ path, ref: (this.#records.get(path)!.payload as BlobValue).ref });
    return out;
  }

  /** The greatest tombstone at `path` or above it, with its path: a walk of the path's few prefixes. */
  coveringTombstone(path: string): [string, Tombstone] | undefined {
    if (this.#tombstones.size === 0) return undefined;
    const records = this.#records;
    let bestPath = '';
    let best = records.get('')?.tombstone;
    if (path === '') return best === undefined ? undefined : ['', best];
    // The ancestors of `path` (its prefixes ending before a dot), then `path` itself.
    for (let end = path.indexOf('.'); ; end = path.indexOf('.', end + 1)) {
      const at = end === -1 ? path : path.slice(0, end);
      const tombstone = records.get(at)?.tombstone;
      if (tombstone !== undefined && (best === undefined || compareParts(tombstone.hlc, tombstone.origin, tombstone.seq, best) > 0)) {
        best = tombstone;
        bestPath = at;
      }
      if (end === -1) break;
    }
    return best === undefined ? undefined : [bestPath, best];
  }

  /** Drops a record that holds nothing any more. */
  #release(path: string, record: PathRecord): void {
    if (record.type !== '' || record.tombstone !== undefined) return;
    this.#records.delete(path);
    this.#order.removed();
  }
}
