import type { CheckedMutation } from '@statemesh/contracts';
import type { ApplyResult, RejectReason } from './apply-result.js';
import type { Change } from './change.js';

/**
 * One batch being applied (a local write, `apply`, `applyEntries`, a hydration): where it came from, what it did
 * so far, and the changes to publish to watchers once it is done. Made per batch, so no batch state lives in the
 * shard between calls.
 */
export class Batch implements ApplyResult {
  applied = 0;
  duplicate = 0;
  stale = 0;
  rejected = 0;
  conflicts = 0;
  readonly reasons: RejectReason[] = [];
  relay: readonly CheckedMutation[] = [];
  /** The changes made, when someone watches; undefined otherwise (nothing is collected). */
  readonly changes: Change[] | undefined;

  constructor(
    /** `local`, `hydrator`, or the peer the batch came from. */
    readonly from: string,
    watched: boolean,
  ) {
    this.changes = watched ? [] : undefined;
  }

  /** The batch's outcome, as `apply` and `applyEntries` return it. */
  result(): ApplyResult {
    return { applied: this.applied, duplicate: this.duplicate, stale: this.stale, rejected: this.rejected, conflicts: this.conflicts, reasons: this.reasons, relay: this.relay };
  }
}
