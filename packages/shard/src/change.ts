import type { BlobRef, Version } from '@statemesh/contracts';

/** One path changed by a write: set to a new value, or removed by a delete. */
export interface Change {
  readonly path: string;
  /** `set`: the path holds a new value; `delete`: the value at the path was removed. */
  readonly op: 'set' | 'delete';
  /** The version of the write that made the change (for a delete: the delete's version). */
  readonly version: Version;
  /** Value type; empty for a delete. */
  readonly type: string;
  /** For a value kept as a chunked blob: its reference. */
  readonly ref: BlobRef | undefined;
  /** True when the value is a blob not yet hydrated on this replica. */
  readonly pending: boolean;
  /** `local` for a write made here, otherwise the peer it came from. */
  readonly from: string;
}

/** Called once per applied batch with the changes under the watched prefix. */
export type ChangeListener = (changes: readonly Change[]) => void;
