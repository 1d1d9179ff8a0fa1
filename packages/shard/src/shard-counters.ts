import type { RejectGate } from './apply-result.js';

/** The shard's counters since creation (the gauges are read from its parts when asked for). */
export class ShardCounters {
  localWrites = 0;
  applied = 0;
  duplicate = 0;
  stale = 0;
  rejected = 0;
  readonly gates: Record<RejectGate, number> = { size: 0, interest: 0, partition: 0, clock: 0, origin: 0, authority: 0 };
  conflictsDetected = 0;
  conflictsLost = 0;
  tombstonesCollected = 0;
  offloadStored = 0;
  offloadFailed = 0;
  watchErrors = 0;

  /** Adds the outcome of an applied remote batch. */
  add(batch: { applied: number; duplicate: number; stale: number; rejected: number }): void {
    this.applied += batch.applied;
    this.duplicate += batch.duplicate;
    this.stale += batch.stale;
    this.rejected += batch.rejected;
  }

  /** The counters under their public names, with `gauges` (entries, tombstones, pending, outbox) after them. */
  toRecord(gauges: { entries: number; tombstones: number; pending: number; outbox: number }): Record<string, number> {
    const g = this.gates;
    return {
      'local.writes': this.localWrites,
      'remote.applied': this.applied,
      'remote.duplicates': this.duplicate,
      'remote.stale': this.stale,
      'remote.rejected': this.rejected,
      'rejected.size': g.size,
      'rejected.interest': g.interest,
      'rejected.partition': g.partition,
      'rejected.clock': g.clock,
      'rejected.origin': g.origin,
      'rejected.authority': g.authority,
      'conflicts.detected': this.conflictsDetected,
      'conflicts.lost': this.conflictsLost,
      'tombstones.collected': this.tombstonesCollected,
      'offload.stored': this.offloadStored,
      'offload.failed': this.offloadFailed,
      'watch.errors': this.watchErrors,
      ...gauges,
    };
  }
}
