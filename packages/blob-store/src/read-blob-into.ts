import type { BlobStore } from '@statemesh/contracts';

/**
 * Internal (not exported from the package): the stores of this package can copy a blob straight into a slice of
 * the buffer `getChunked` assembles into, without re-hashing it. `getChunked` uses it only for chunks stored raw,
 * whose bytes the whole-content digest then verifies; when that digest does not match, every chunk read this way
 * is checked through the verifying `get`, which names (and drops) the corrupt one.
 */
export const readBlobInto: unique symbol = Symbol('@statemesh/blob-store readBlobInto');

/** A store that can read a blob into a caller's buffer: true when the blob is stored and exactly fills `target`. */
export interface BlobIntoReader {
  [readBlobInto](digest: string, target: Uint8Array): Promise<boolean>;
}

/** True when `store` offers {@link readBlobInto}. */
export function canReadBlobInto(store: BlobStore): store is BlobStore & BlobIntoReader {
  return typeof (store as Partial<BlobIntoReader>)[readBlobInto] === 'function';
}
