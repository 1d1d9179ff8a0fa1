import { VersionStamp, compareVersions } from '@statemesh/contracts';
import type { Version } from '@statemesh/contracts';
import type { Batch } from './batch.js';
import { AppliedChange } from './change.js';
import type { ConflictRing } from './conflict-ring.js';
import type { OriginIndex } from './origin-index.js';
import { BlobValue, Tombstone, compareParts } from './path-record.js';
import type { HeldPayload, PathRecord } from './path-record.js';
import type { PathTree } from './path-tree.js';
import type { ShardCounters } from './shard-counters.js';


/**
 * Last-writer-wins on the tree: a set or a delete is integrated when its version beats what the tree holds at
 * its path (and every tombstone above it), its changes recorded in the batch, and conflicts between concurrent
 * writes of different origins recorded in the ring.
 */
export class TreeMerge {
  readonly #tree: PathTree;
  readonly #index: OriginIndex;
  readonly #conflicts: ConflictRing;
  readonly #counters: ShardCounters;
  readonly #resolveConflicts: boolean;
  readonly #localOrigin: string;
  readonly #isLive: (origin: string, seq: number, path: string) => boolean;

  constructor(tree: PathTree, index: OriginIndex, conflicts: ConflictRing, counters: ShardCounters, resolveConflicts: boolean, localOrigin: string) {
    this.#tree = tree;
    this.#index = index;
    this.#conflicts = conflicts;
    this.#counters = counters;
    this.#resolveConflicts = resolveConflicts;
    this.#localOrigin = localOrigin;
    this.#isLive = (origin, seq, path) => tree.holds(origin, seq, path);
  }

  /** The liveness test of the origin index: the tree still holds `(origin, seq)` at `path`. */
  get isLive(): (origin: string, seq: number, path: string) => boolean {
    return this.#isLive;
  }

  /** Integrates a set; false when it lost (stale). `knowsPrev` is false for snapshot entries that did not say. */
  set(batch: Batch, path: string, hlc: bigint, origin: string, seq: number, type: string, payload: HeldPayload, prev: Version | undefined, knowsPrev: boolean): boolean {
    const tree = this.#tree;
    const current = tree.get(path);
    const keptPrev = prev !== undefined ? prev : knowsPrev ? undefined : null;
    if (current !== undefined && current.type !== '') {
      const order = compareParts(hlc, origin, seq, current);
      if (order <= 0) {
        if (order < 0) this.#conflictWithHeld(batch, path, current, { hlc, origin, seq });
        return false;
      }
      this.#conflict(batch, path, { hlc, origin, seq }, prev, knowsPrev, current);
      const oldOrigin = current.origin;
      tree.setValue(path, current, hlc, origin, seq, type, payload, keptPrev);
      this.#index.retire(oldOrigin, this.#isLive);
    } else {
      const cover = tree.coveringTombstone(path);
      if (cover !== undefined) {
        const tombstone = cover[1];
        if (compareParts(hlc, origin, seq, tombstone) < 0) {
          if (cover[0] === path) this.#conflict(batch, path, tombstone, tombstone.prev, true, { hlc, origin, seq });
          return false;
        }
        const here = current?.tombstone;
        if (here !== undefined) this.#conflict(batch, path, { hlc, origin, seq }, prev, knowsPrev, here);
      }
      tree.setValue(path, current, hlc, origin, seq, type, payload, keptPrev);
    }
    this.#index.add(origin, seq, path);
    if (batch.changes !== undefined) batch.changes.push(changeOf(path, new VersionStamp(hlc, origin, seq), type, payload, batch.from));
    return true;
  }

  /** Integrates the delete of the subtree at `path`; false when a tombstone at or above it is newer (stale). */
  delete(batch: Batch, path: string, hlc: bigint, origin: string, seq: number, prev: Version | undefined, knowsPrev: boolean): boolean {
    const tree = this.#tree;
    const cover = tree.coveringTombstone(path);
    if (cover !== undefined && compareParts(hlc, origin, seq, cover[1]) <= 0) return false;
    const incoming = { hlc, origin, seq };
    const here = tree.get(path);
    if (here !== undefined && here.type !== '') {
      if (compareParts(hlc, origin, seq, here) < 0) this.#conflictWithHeld(batch, path, here, incoming);
      else this.#conflict(batch, path, incoming, prev, knowsPrev, here);
    }
    // The tombstone first: the record at `path` then stays (no removal and re-creation of the path). What it
    // replaces is older (the covering check above said so).
    const replaced = here?.tombstone;
    tree.setTombstone(path, new Tombstone(hlc, origin, seq, prev));
    if (replaced !== undefined) this.#index.retire(replaced.origin, this.#isLive);
    let stamp: VersionStamp | undefined;
    // The subtree only: its records in path order.
    tree.forEachUnder(path, (at, record) => {
      const tombstone = record.tombstone;
      if (tombstone !== undefined && at !== path && compareParts(hlc, origin, seq, tombstone) > 0) {
        // Older tombstones below this one change nothing any more.
        tree.removeTombstone(at, record);
        this.#index.retire(tombstone.origin, this.#isLive);
      }
      if (record.type === '' || compareParts(hlc, origin, seq, record) < 0) return;
      const oldOrigin = record.origin;
      tree.removeValue(at, record);
      this.#index.retire(oldOrigin, this.#isLive);
      if (batch.changes !== undefined) batch.changes.push(new AppliedChange(at, 'delete', (stamp ??= new VersionStamp(hlc, origin, seq)), '', undefined, undefined, undefined, false, batch.from));
    });
    this.#index.add(origin, seq, path);
    return true;
  }

  /**
   * Records a conflict when `loser` lost to `winner` and they are concurrent: different origins, and the winner
   * did not overwrite the loser (or anything newer) on its origin. `winnerPrevKnown` is false for snapshot
   * entries, whose prev is not carried: no conflict is claimed for them.
   */
  #conflict(batch: Batch, path: string, winner: Version, winnerPrev: Version | undefined, winnerPrevKnown: boolean, loser: Version): void {
    if (!this.#resolveConflicts || !winnerPrevKnown || winner.origin === loser.origin) return;
    if (winnerPrev !== undefined && compareVersions(winnerPrev, loser) >= 0) return;
    const recorded = this.#conflicts.push({
      path,
      winner: { origin: winner.origin, seq: winner.seq, hlc: winner.hlc },
      loser: { origin: loser.origin, seq: loser.seq, hlc: loser.hlc },
      at: Date.now(),
    });
    if (!recorded) return; // seen before: the loser came again (relayed, or in another catch-up)
    batch.conflicts++;
    this.#counters.conflictsDetected++;
    if (loser.origin === this.#localOrigin) this.#counters.conflictsLost++;
  }

  /** A conflict where the value held at `path` beats `loser`: the held value's prev is known unless it is null. */
  #conflictWithHeld(batch: Batch, path: string, held: PathRecord, loser: Version): void {
    const prev = held.prev;
    this.#conflict(batch, path, held, prev ?? undefined, prev !== null, loser);
  }
}

/** The change a set made, with the value it set (decoded when read). */
function changeOf(path: string, version: VersionStamp, type: string, payload: HeldPayload, from: string): AppliedChange {
  if (payload instanceof BlobValue) return new AppliedChange(path, 'set', version, type, payload.bytes, undefined, payload.ref, payload.pending, from);
  if (typeof payload === 'string' || payload instanceof Uint8Array) return new AppliedChange(path, 'set', version, type, payload, undefined, undefined, false, from);
  return new AppliedChange(path, 'set', version, type, undefined, payload, undefined, false, from);
}
