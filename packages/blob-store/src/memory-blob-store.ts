import { StatemeshError, isDigest, type BlobStore } from '@statemesh/contracts';
import { readBlobInto, type BlobIntoReader } from './read-blob-into.js';
import { sha256Hex } from './sha256.js';

/**
 * A {@link BlobStore} in memory. It keeps a private copy of every blob, hashed when it was put, and hands out
 * copies, so no caller can change what is stored under a digest.
 */
export class MemoryBlobStore implements BlobStore, BlobIntoReader {
  readonly #blobs = new Map<string, Uint8Array>();

  /** Stores a copy of `bytes` (a no-op when already present) and returns their SHA-256 digest. */
  put(bytes: Uint8Array): Promise<string> {
    if (!(bytes instanceof Uint8Array)) return Promise.reject(notBytes());
    const digest = sha256Hex(bytes);
    if (!this.#blobs.has(digest)) this.#blobs.set(digest, bytes.slice());
    return Promise.resolve(digest);
  }

  /** A copy of the blob stored under `digest`, or `undefined`. */
  get(digest: string): Promise<Uint8Array | undefined> {
    const blob = this.#blobs.get(digest);
    return Promise.resolve(blob === undefined ? undefined : blob.slice());
  }

  /** True when a blob with this digest is stored. */
  has(digest: string): Promise<boolean> {
    return Promise.resolve(this.#blobs.has(digest));
  }

  /** Removes a blob; true when it was there. */
  delete(digest: string): Promise<boolean> {
    return Promise.resolve(isDigest(digest) && this.#blobs.delete(digest));
  }

  /** Number of blobs stored. */
  size(): Promise<number> {
    return Promise.resolve(this.#blobs.size);
  }

  /** Every stored digest, as of the call. */
  async *digests(): AsyncIterable<string> {
    yield* Array.from(this.#blobs.keys()); // a snapshot: puts and deletes during iteration do not disturb it
  }

  /** Internal: copies the blob into `target` when it is stored and exactly that long. */
  [readBlobInto](digest: string, target: Uint8Array): Promise<boolean> {
    const blob = this.#blobs.get(digest);
    if (blob === undefined || blob.length !== target.length) return Promise.resolve(false);
    target.set(blob);
    return Promise.resolve(true);
  }

  /** Nothing to release; present so callers can close any store alike. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function notBytes(): StatemeshError {
  return new StatemeshError('INVALID_ARGUMENT', '@statemesh/blob-store: put() takes a Uint8Array; encode strings with TextEncoder first');
}
