import type { BlobRef, Version } from '@statemesh/contracts';

/**
 * The value held at one path: its version inline (hlc, interned origin, seq), interned type and payload.
 * Local json/text values keep their text (a compact one-byte string); remote values keep the bytes they came with.
 */
export class Stored {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    public type: string,
    public payload: Uint8Array | string | BlobRef,
  ) {}
}

/** A tombstone: the delete of the subtree rooted at its path, with the delete's version. */
export class Tombstone {
  constructor(
    public hlc: bigint,
    public origin: string,
    public seq: number,
    public prev: Version | undefined,
  ) {}
}

/** The last-writer-wins order between two versions (see `compareVersions` in `@statemesh/contracts`). */
export function compareParts(aHlc: bigint, aOrigin: string, aSeq: number, b: { hlc: bigint; origin: string; seq: number }): number {
  if (aHlc !== b.hlc) return aHlc < b.hlc ? -1 : 1;
  if (aOrigin !== b.origin) return aOrigin < b.origin ? -1 : 1;
  return aSeq - b.seq;
}
