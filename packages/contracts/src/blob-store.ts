/**
 * A content-addressed store of immutable blobs, keyed by the SHA-256 of their bytes (lowercase hex).
 * Implementations: `MemoryBlobStore` and `FileBlobStore` in `@statemesh/blob-store`.
 */
export interface BlobStore {
  /** Stores `bytes` (a no-op when already present) and returns their digest. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes stored under `digest`, verified against it, or `undefined`. */
  get(digest: string): Promise<Uint8Array | undefined>;
  /** True when a blob with this digest is stored. */
  has(digest: string): Promise<boolean>;
  /** Removes a blob; true when it was there. */
  delete(digest: string): Promise<boolean>;
  /** Number of blobs stored. */
  size(): Promise<number>;
  /** Every stored digest. */
  digests(): AsyncIterable<string>;
  /** Releases file handles and timers. Optional: a memory store has none. */
  close?(): Promise<void>;
}

/** True when `digest` has the form of a SHA-256 digest in lowercase hex. */
export function isDigest(digest: unknown): digest is string {
  return typeof digest === 'string' && /^[0-9a-f]{64}$/.test(digest);
}
