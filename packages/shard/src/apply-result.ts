import type { CheckedMutation } from '@statemesh/contracts';

/**
 * Which gate turned a remote write away: `size` is an inline value longer than this replica's `maxValueBytes`;
 * `origin` a write claiming this replica's own origin with a sequence number it never used (forged, or a confused
 * peer); `authority` a write under a subtree this node is authoritative for. (A malformed write never gets here:
 * the wire decoder refuses the frame that carries it.)
 */
export type RejectGate = 'size' | 'interest' | 'partition' | 'clock' | 'origin' | 'authority';

/** Why one remote write was rejected. */
export interface RejectReason {
  readonly gate: RejectGate;
  readonly origin: string;
  readonly seq: number;
  readonly path: string;
  /** One line naming the gate and the facts, e.g. "path 'p' partitioned to node 'o', not 'local'". */
  readonly reason: string;
}

/** What `apply` or `applyEntries` did with a batch. */
export interface ApplyResult {
  /** Writes that changed the replica. */
  readonly applied: number;
  /** Writes already seen by `(origin, seq)`. */
  readonly duplicate: number;
  /** Writes that lost to what the replica already held (last-writer-wins). */
  readonly stale: number;
  /** Writes turned away by a gate (size, interest, partition, clock drift, own origin, authority); see `reasons`. */
  readonly rejected: number;
  /** Writes that lost to (or beat) a concurrent write of another origin. */
  readonly conflicts: number;
  /** One reason per rejected write (the first 1 000 of a batch). */
  readonly reasons: readonly RejectReason[];
  /**
   * Mutations seen here for the first time (applied, stale, or outside this node's interests or
   * partition): what a node forwards to its other peers. Empty for `applyEntries`.
   */
  readonly relay: readonly CheckedMutation[];
}
