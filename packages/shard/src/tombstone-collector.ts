import { nodeOfOrigin, vectorCovers } from '@statemesh/contracts';
import type { VersionVector } from '@statemesh/contracts';
import type { OriginIndex } from './origin-index.js';
import type { PathTree } from './path-tree.js';
import type { SeenSet } from './seen-set.js';

/**
 * Drops the tombstones that can no longer matter: every peer has applied it while this replica holds everything
 * that peer had written itself when it reported (no older write can still be on its way), or it is older than
 * the TTL. Returns how many went.
 */
export function collectTombstones(tree: PathTree, index: OriginIndex, seen: SeenSet, isLive: (origin: string, seq: number, path: string) => boolean, peers: readonly [string, VersionVector][], nowMs: number, ttlMs: number | undefined): number {
  let dropped = 0;
  for (const path of tree.tombstonePaths()) {
    const record = tree.get(path)!;
    const tombstone = record.tombstone!;
    const expired = ttlMs !== undefined && Number(tombstone.hlc >> 16n) + ttlMs <= nowMs;
    const covered = peers.length > 0 && peers.every(([node, vector]) => vectorCovers(vector, tombstone) && holdsOwnWritesOf(seen, node, vector));
    if (!expired && !covered) continue;
    tree.removeTombstone(path, record);
    index.retire(tombstone.origin, isLive);
    dropped++;
  }
  return dropped;
}

/** True when this replica holds every write peer `node` had applied from its own origins, as `vector` says. */
function holdsOwnWritesOf(seen: SeenSet, node: string, vector: VersionVector): boolean {
  for (const [origin, seq] of Object.entries(vector)) {
    if (nodeOfOrigin(origin) === node && seen.contiguous(origin) < seq) return false;
  }
  return true;
}
