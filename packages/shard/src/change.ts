import type { BlobRef, Version } from '@statemesh/contracts';
import { decodeValue } from './value-decode.js';

/** One path changed by a write: set to a new value, or removed by a delete. */
export interface Change {
  readonly path: string;
  /** `set`: the path holds a new value; `delete`: the value at the path was removed. */
  readonly op: 'set' | 'delete';
  /**
   * The version of the write that made the change (for a delete: the delete's version), exactly as applied in
   * this batch. `JSON.stringify` writes it with the hlc as a decimal string.
   */
  readonly version: Version;
  /** Value type; empty for a delete. */
  readonly type: string;
  /**
   * The value this change set, as `get` would have returned it right after this batch: parsed JSON for `json`,
   * the string for `text`, the bytes for other types. Undefined for a delete, and while `pending`.
   */
  readonly value: unknown;
  /** For a value kept as a chunked blob: its reference. */
  readonly ref: BlobRef | undefined;
  /** True when the value is a blob not yet hydrated on this replica (then `value` is undefined: fetch it). */
  readonly pending: boolean;
  /** `local` for a write made here, `initial` for what `watch(..., { initial: true })` found, otherwise the peer it came from. */
  readonly from: string;
}

/** Called once per applied batch with the changes under the watched prefix. */
export type ChangeListener = (changes: readonly Change[]) => void;

/** Options of `watch`. */
export interface WatchOptions {
  /**
   * First call the listener once with what the replica already holds under the prefix (every value as a `set`
   * change from `initial`; possibly none), before any batch applied later: nothing is missed between the two.
   */
  readonly initial?: boolean | undefined;
}

const NOT_DECODED: unique symbol = Symbol('not decoded');

/** A change as the shard records it: its value decoded from the bytes it carried, on first read only. */
export class AppliedChange implements Change {
  readonly #data: Uint8Array | string | undefined;
  #value: unknown;

  constructor(
    readonly path: string,
    readonly op: 'set' | 'delete',
    readonly version: Version,
    readonly type: string,
    /** The value's bytes or text; undefined for a delete, a pending blob, or when `value` is given. */
    data: Uint8Array | string | undefined,
    value: unknown,
    readonly ref: BlobRef | undefined,
    readonly pending: boolean,
    readonly from: string,
  ) {
    this.#data = data;
    this.#value = data === undefined ? value : NOT_DECODED;
  }

  get value(): unknown {
    if (this.#value === NOT_DECODED) this.#value = decodeValue(this.path, this.type, this.version.origin, this.#data!);
    return this.#value;
  }

  /** What `JSON.stringify` writes: every field, the value included (bytes left out), the hlc as a decimal string. */
  toJSON(): Record<string, unknown> {
    const value = this.value;
    return { path: this.path, op: this.op, version: this.version, type: this.type, value: value instanceof Uint8Array ? undefined : value, ref: this.ref, pending: this.pending, from: this.from };
  }
}
