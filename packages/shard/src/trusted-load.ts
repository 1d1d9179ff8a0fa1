import { StatemeshError } from '@statemesh/contracts';
import type { CheckedEntry, VersionVector } from '@statemesh/contracts';
import { unpack } from '@statemesh/hlc';
import type { Interner } from './interner.js';
import type { OriginIndex } from './origin-index.js';
import { Tombstone } from './path-record.js';
import type { PathTree } from './path-tree.js';
import type { RemoteApply } from './remote-apply.js';
import type { SeenSet } from './seen-set.js';
import type { ShardClock } from './shard-options.js';
import { remotePayload } from './value-decode.js';

const PREFIX = '@statemesh/shard: ';

/** The parts of a shard a trusted load fills. */
export interface TrustedLoadParts {
  readonly tree: PathTree;
  readonly index: OriginIndex;
  readonly seen: SeenSet;
  readonly interner: Interner;
  readonly clock: ShardClock;
  readonly remote: RemoteApply;
  /** This node's own origin (interned). */
  readonly origin: string;
  readonly localSeq: () => number;
  /** True when interests, a partition or mounts may turn remote writes away (a load then takes the checked path). */
  readonly gated: boolean;
}

/**
 * The load of state recovered from this node's own checksummed store into an empty replica: the entries are the
 * folded winners the store keeps (each path at most once as a value and once as a tombstone, nothing a
 * tombstone above it beats), so nothing is validated again, looked up as a duplicate, judged by last-writer-wins,
 * recorded as a conflict or shown to watchers: each entry goes straight into the path tree and the origin index,
 * the clock merges the greatest hybrid time once, and the vector is set once.
 */
export class TrustedLoad {
  readonly #parts: TrustedLoadParts;

  constructor(parts: TrustedLoadParts) {
    this.#parts = parts;
  }

  /**
   * Loads `entries` and raises the vector to `vector` (never over this node's own counter). Returns false, having
   * changed nothing, when the checked path (`applyEntries`) must take them because it could refuse some: gates are
   * configured, an entry of this node's origin is above its counter, or the clock refuses the greatest hybrid
   * time (drift, or no valid time). Throws `INVALID_ARGUMENT` when the replica is not empty.
   */
  load(entries: readonly CheckedEntry[], vector: VersionVector): boolean {
    const { tree, index, seen, interner, clock, remote, origin: own } = this.#parts;
    if (tree.size > 0 || tree.tombstoneCount > 0 || Object.keys(seen.vector()).length > 0 || seen.beyondCount() > 0) {
      throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}load needs an empty replica (this one holds ${tree.size} values and ${tree.tombstoneCount} tombstones, or has applied writes); use applyEntries to merge into one that holds something`);
    }
    if (this.#parts.gated) return false;
    const localSeq = this.#parts.localSeq();
    let max = -1n;
    for (let i = 0; i < entries.length; i++) {
      const v = entries[i]!.version;
      if (v.hlc > max) max = v.hlc;
      if (v.seq > localSeq && v.origin === own) return false;
    }
    if (max >= 0n) {
      try {
        clock.update(unpack(max));
      } catch {
        return false; // drift, or a time no clock holds: the checked path refuses those entries one by one
      }
    }
    let tombstones = false;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const { path, version } = entry;
      const origin = interner.origin(version.origin);
      // As `applyEntries` keeps them: a prev not carried is not known (null), a prev of null is none (undefined).
      const prev = entry.prev;
      if (entry.tombstone) {
        tree.setTombstone(path, new Tombstone(version.hlc, origin, version.seq, prev ?? undefined));
        tombstones = true;
      } else {
        const type = entry.type;
        const record = tombstones ? tree.get(path) : undefined;
        tree.setValue(path, record, version.hlc, origin, version.seq, interner.type(type), remotePayload(type, entry.payload!), prev === undefined ? null : (prev ?? undefined));
      }
      index.add(origin, version.seq, path);
    }
    remote.completeCatchUp(vector, 'disk');
    return true;
  }
}
