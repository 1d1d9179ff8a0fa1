import type { CheckedEntry, CheckedMutation, VersionVector } from '@statemesh/contracts';
import type { Admission } from './admission.js';
import type { Batch } from './batch.js';
import type { Interner } from './interner.js';
import type { SeenSet } from './seen-set.js';
import type { TreeMerge } from './tree-merge.js';
import { remotePayload } from './value-decode.js';

/**
 * Writes from peers: a batch of mutations or of snapshot/catch-up entries, admitted (every gate checked before
 * any write is applied), then merged one by one; and the end of a catch-up, which raises the vector.
 */
export class RemoteApply {
  readonly #admission: Admission;
  readonly #merge: TreeMerge;
  readonly #seen: SeenSet;
  readonly #interner: Interner;
  readonly #origin: string;
  readonly #localSeq: () => number;

  constructor(admission: Admission, merge: TreeMerge, seen: SeenSet, interner: Interner, origin: string, localSeq: () => number) {
    this.#admission = admission;
    this.#merge = merge;
    this.#seen = seen;
    this.#interner = interner;
    this.#origin = origin;
    this.#localSeq = localSeq;
  }

  /** Applies `mutations` from `from` into `into`, filling its counts and its relay list. */
  mutations(mutations: readonly CheckedMutation[], from: string, into: Batch): void {
    const { accepted, relayGated } = this.#admission.mutations(mutations, from, into);
    const interner = this.#interner;
    // The usual batch passes every gate: then it is its own relay list.
    let relay: CheckedMutation[] | undefined = accepted === mutations ? undefined : [...(relayGated ?? [])];
    for (let i = 0; i < accepted.length; i++) {
      const mutation = accepted[i]!;
      const origin = interner.origin(mutation.origin);
      const seq = mutation.seq;
      if (!this.#seen.add(origin, seq)) {
        into.duplicate++;
        relay ??= accepted.slice(0, i);
        continue;
      }
      relay?.push(mutation);
      const applied =
        mutation.op === 'set'
          ? this.#merge.set(into, mutation.path, mutation.hlc, origin, seq, interner.type(mutation.type), remotePayload(mutation.type, mutation.payload!), mutation.prev, true)
          : this.#merge.delete(into, mutation.path, mutation.hlc, origin, seq, mutation.prev, true);
      if (applied) into.applied++;
      else into.stale++;
    }
    into.relay = relay ?? (mutations as CheckedMutation[]);
  }

  /** Merges snapshot or catch-up `entries` from `from` into `into` (not marked seen: the last page's vector claims them). */
  entries(entries: readonly CheckedEntry[], from: string, into: Batch): void {
    const interner = this.#interner;
    for (const entry of this.#admission.entries(entries, from, into)) {
      const { hlc, seq } = entry.version;
      const origin = interner.origin(entry.version.origin);
      // Seen again meanwhile, they are stale, and the conflict ring records a conflict once.
      const knowsPrev = entry.prev !== undefined;
      const prev = entry.prev ?? undefined;
      const applied = entry.tombstone
        ? this.#merge.delete(into, entry.path, hlc, origin, seq, prev, knowsPrev)
        : this.#merge.set(into, entry.path, hlc, origin, seq, interner.type(entry.type), remotePayload(entry.type, entry.payload!), prev, knowsPrev);
      if (applied) into.applied++;
      else into.stale++;
    }
  }

  /**
   * Raises the vector to at least `vector` once a catch-up from `from` is applied: never over a write refused in
   * its pages (asked for again next time), and not at all while a write refused for clock drift stands (it may
   * have superseded writes of any origin, which the sender therefore left out). Never over this node's own counter.
   */
  completeCatchUp(vector: VersionVector, from: string): void {
    const refused = this.#admission.catchUpRefusals.take(from);
    if (refused?.blocksAll === true) return;
    const localSeq = this.#localSeq();
    for (const [origin, seq] of Object.entries(vector)) {
      let upTo = seq;
      const lowestRefused = refused?.lowest.get(origin);
      if (lowestRefused !== undefined && lowestRefused <= upTo) upTo = lowestRefused - 1;
      if (origin === this.#origin && upTo > localSeq) upTo = localSeq;
      if (upTo > 0) this.#seen.raise(this.#interner.origin(origin), upTo);
    }
  }
}
