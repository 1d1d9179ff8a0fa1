import type { BlobRef, Version } from '@statemesh/contracts';

/** A tombstone: the delete of the subtree rooted at its path, with the delete's version. */
export class Tombstone {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    public prev: Version | undefined,
  ) {}
}

/** An inline value read once: its bytes as held, and what they decode to (frozen). */
export class DecodedValue {
  constructor(
    readonly data: Uint8Array | string,
    readonly value: unknown,
  ) {}
}

/** A large value kept as a chunked blob: its reference, whether it is still to be fetched, and (no store) its bytes. */
export class BlobValue {
  constructor(
    readonly ref: BlobRef,
    public pending: boolean,
    /** The hydrated bytes, kept here only when there is no blob store to read them back from. */
    public bytes: Uint8Array | undefined,
  ) {}
}

/**
 * A value as a record holds it: text (json or text, UTF-8 as a string), bytes, a JSON primitive written or
 * received in canonical form (its bytes are `JSON.stringify` of it), a decoded value, a blob; undefined: none.
 */
export type HeldPayload = string | Uint8Array | number | boolean | null | DecodedValue | BlobValue | undefined;

/** The rarer part of a record: the prev of its value and the tombstone at its path, when it has one. */
export class PathMeta {
  constructor(
    public prev: Version | null | undefined,
    public tombstone: Tombstone | undefined,
  ) {}
}

/**
 * Everything a replica holds at one path, in one object of six fields: the value's version inline (hlc,
 * interned origin, seq), its interned type and payload, and `meta`: the version the value overwrote on its origin
 * (undefined: nothing; null: not known), or a {@link PathMeta} when a delete left a tombstone at this path too.
 * A path can hold both: a value written after a delete of its own subtree.
 */
export class PathRecord {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    /** Value type; `''` while the path holds no value (only a tombstone). */
    public type: string,
    public payload: HeldPayload,
    public meta: Version | null | undefined | PathMeta,
  ) {}

  /** The version the value overwrote on its origin; undefined: nothing; null: not known (a snapshot entry). */
  get prev(): Version | null | undefined {
    const meta = this.meta;
    return meta instanceof PathMeta ? meta.prev : meta;
  }

  set prev(prev: Version | null | undefined) {
    const meta = this.meta;
    if (meta instanceof PathMeta) meta.prev = prev;
    else this.meta = prev;
  }

  /** The tombstone of a delete at this path, if any. */
  get tombstone(): Tombstone | undefined {
    const meta = this.meta;
    return meta instanceof PathMeta ? meta.tombstone : undefined;
  }

  set tombstone(tombstone: Tombstone | undefined) {
    const meta = this.meta;
    if (meta instanceof PathMeta) {
      if (tombstone === undefined) this.meta = meta.prev;
      else meta.tombstone = tombstone;
    } else if (tombstone !== undefined) this.meta = new PathMeta(meta, tombstone);
  }
}

/** True when `payload` is a blob not hydrated here yet. */
export function isPendingPayload(payload: HeldPayload): boolean {
  return payload instanceof BlobValue && payload.pending;
}

/** The last-writer-wins order between two versions (see `compareVersions` in `@statemesh/contracts`). */
export function compareParts(aHlc: bigint, aOrigin: string, aSeq: number, b: { hlc: bigint; origin: string; seq: number }): number {
  if (aHlc !== b.hlc) return aHlc < b.hlc ? -1 : 1;
  if (aOrigin !== b.origin) return aOrigin < b.origin ? -1 : 1;
  return aSeq - b.seq;
}
