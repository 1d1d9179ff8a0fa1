import type { Version } from '@statemesh/contracts';

/** A value as the session hands it out: what a volume reads of it. */
export interface VolumeValue {
  readonly type: string;
  /** The value's bytes; undefined while pending. */
  readonly bytes: Uint8Array | undefined;
  /** True while a large value has not been fetched to this node. */
  readonly pending: boolean;
  /** Identifies the write: a new write at the path gets a new one. */
  readonly version: Version;
}

/**
 * What a volume needs of a session. `Session` from `@statemesh/session` satisfies it; so can a test double or a
 * browser session.
 */
export interface VolumeSession {
  /** Writes bytes with a value type at `path` (large ones travel as chunked blobs). */
  setBytes(path: string, bytes: Uint8Array, type?: string): unknown;
  /** The value at `path`, or undefined. */
  get(path: string): VolumeValue | undefined;
  /** The value at `path`, fetched now if it is pending; `signal` cancels with `CANCELLED`. */
  fetch(path: string, options?: { readonly signal?: AbortSignal | undefined }): Promise<VolumeValue>;
  /** Calls `listener` with the changes under `prefix`; returns a function that stops it. */
  watch(prefix: string, listener: (changes: readonly { readonly path: string }[]) => void): () => void;
  /** Stores a blob where every peer can fetch it by digest; resolves with its SHA-256 (hex). */
  putBlob(bytes: Uint8Array): Promise<string>;
  /**
   * The blob with this digest, from this node or a peer (verified); `signal` cancels with `CANCELLED`; the peers in
   * `askLast` are asked only after the others.
   */
  fetchBlob(digest: string, options?: { readonly signal?: AbortSignal | undefined; readonly askLast?: readonly string[] | undefined }): Promise<Uint8Array>;
}
