import type { BlobRef, Version } from '@statemesh/contracts';

/** `PathRecord.cache` of a value not decoded yet. */
export const UNDECODED: unique symbol = Symbol('undecoded');
/** `PathRecord.cache` of a blob value not hydrated on this replica yet. */
export const PENDING: unique symbol = Symbol('pending');

/** A tombstone: the delete of the subtree rooted at its path, with the delete's version. */
export class Tombstone {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    public prev: Version | undefined,
  ) {}
}

/**
 * Everything a replica holds at one path, in one object: the value (its version inline — hlc, interned origin,
 * seq —, interned type, payload, the version it overwrote, its decoded form), and the tombstone of a delete at
 * this path, if any. A path can hold both: a value written after a delete of its own subtree.
 */
export class PathRecord {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    /** Value type; `''` while the path holds no value (only a tombstone). */
    public type: string,
    /**
     * The value's bytes: a UTF-8 string for local json/text and short ASCII remote ones, bytes, or a blob
     * reference. Undefined for a local JSON primitive, whose bytes are `JSON.stringify(cache)` (or for no value).
     */
    public payload: Uint8Array | string | BlobRef | undefined,
    /** The version the value overwrote on its origin; undefined: nothing; null: not known (a snapshot entry). */
    public prev: Version | null | undefined,
    /** The decoded value (frozen), `UNDECODED`, or `PENDING` for a blob not hydrated here yet. */
    public cache: unknown,
    public tombstone: Tombstone | undefined,
  ) {}

  /** True when the record holds a value (not just a tombstone). */
  get hasValue(): boolean {
    return this.type !== '';
  }
}

/** The last-writer-wins order between two versions (see `compareVersions` in `@statemesh/contracts`). */
export function compareParts(aHlc: bigint, aOrigin: string, aSeq: number, b: { hlc: bigint; origin: string; seq: number }): number {
  if (aHlc !== b.hlc) return aHlc < b.hlc ? -1 : 1;
  if (aOrigin !== b.origin) return aOrigin < b.origin ? -1 : 1;
  return aSeq - b.seq;
}
