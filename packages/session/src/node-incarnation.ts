import { newIncarnation } from '@statemesh/shard';
import { isUsableSequence, type SequenceStore } from './sequence-mark.js';

/** Under which origin a starting node writes, and the sequence numbers it must not reuse there. */
export interface NodeIncarnation {
  /** The incarnation of this run (undefined: the plain node id). */
  readonly incarnation: string | undefined;
  /** The highest sequence number already taken in it (0 for a new incarnation). */
  readonly reserved: number;
}

/**
 * Chooses a starting node's incarnation (docs/adr/0004-no-reused-sequence.md): the one its store recorded, with
 * the sequence numbers taken there, when the store has a usable record; otherwise a new one (recorded in the
 * store when it can), whose writes are numbered from 1 under a new origin. A node with no store, an empty one or
 * an unusable one never reuses an `(origin, seq)` pair, and never fails to start because of its record.
 */
export function chooseIncarnation(store: SequenceStore | undefined, log: (line: string) => void, wallMs: number): NodeIncarnation {
  if (store === undefined) return { incarnation: newIncarnation(wallMs), reserved: 0 };
  const value = store.value;
  if (store.begin === undefined) {
    // A store that keeps only a sequence (a simulator's disk): trusted for the plain node id while usable.
    if (isUsableSequence(value)) return { incarnation: undefined, reserved: value };
    log(`@statemesh/session: the sequence record holds ${String(value)}, which is not a usable sequence number; starting a new incarnation`);
    return { incarnation: newIncarnation(wallMs), reserved: 0 };
  }
  const recorded = store.incarnation;
  if (recorded !== undefined && isUsableSequence(value)) return { incarnation: recorded === '' ? undefined : recorded, reserved: value };
  const incarnation = newIncarnation(wallMs);
  store.begin(incarnation);
  return { incarnation, reserved: 0 };
}
