import type { Version } from './version.js';

/** A large value kept out of line: the digest of its chunked-blob manifest, its decoded size and codec. */
export interface BlobRef {
  /** SHA-256 (lowercase hex) of the manifest in the blob store. */
  readonly digest: string;
  /** Size in bytes of the whole value once assembled and decoded. */
  readonly size: number;
  /** Codec the chunks were stored with (`raw`, `rle`, `zstd`). */
  readonly codec: string;
}

/** A value's bytes: inline, or a reference to a chunked blob. */
export type Payload = Uint8Array | BlobRef;

/** True when the payload is a {@link BlobRef} rather than inline bytes. */
export function isBlobRef(payload: Payload | undefined): payload is BlobRef {
  return payload !== undefined && !(payload instanceof Uint8Array);
}

/** `set` writes one path; `delete` removes a subtree and leaves a tombstone. */
export type Op = 'set' | 'delete';

/** Value types the library itself produces; applications may use any other non-empty type string. */
export const VALUE_TYPES = { json: 'json', text: 'text', bytes: 'bytes' } as const;

/** One write, as it travels between replicas. */
export interface Mutation extends Version {
  /** The path written, or the root of the deleted subtree. */
  readonly path: string;
  readonly op: Op;
  /** Value type (`json`, `text`, `bytes`, `volume/f32`, ...); empty for a delete. */
  readonly type: string;
  /** The value; absent for a delete. */
  readonly payload?: Payload | undefined;
  /** The version this write overwrote on its origin, so that concurrency is known rather than guessed. */
  readonly prev?: Version | undefined;
}

/**
 * The state of one path as a snapshot or catch-up carries it: the winning version and value, or a tombstone
 * (the delete of a subtree rooted here, with the version that deleted it).
 */
export interface Entry {
  readonly path: string;
  readonly version: Version;
  /** True for a tombstone. */
  readonly tombstone: boolean;
  /** Value type; empty for a tombstone. */
  readonly type: string;
  /** The value; absent for a tombstone. */
  readonly payload?: Payload | undefined;
  /**
   * What this entry overwrote on its origin, as a mutation's `prev`: a version, or `null` for nothing. It lets the
   * receiver tell a concurrent write (a conflict) from a later one. Absent: not known, and no conflict is claimed.
   */
  readonly prev?: Version | null | undefined;
}
