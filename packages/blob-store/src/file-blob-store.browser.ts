// The browser's `file-blob-store.ts` (the package's `browser` field maps one to the other): browsers have no
// file system, so opening one fails with a message that says what to use instead.
import { StatemeshError } from '@statemesh/contracts';

/** Stands in for the Node `FileBlobStore` in browser bundles: `open` always fails. */
export class FileBlobStore {
  private constructor() {}

  /** Fails with `INVALID_CONFIG`: a browser keeps blobs in a `MemoryBlobStore` (or a store of its own). */
  static open(dir: string): Promise<never> {
    return Promise.reject(
      new StatemeshError('INVALID_CONFIG', `@statemesh/blob-store: FileBlobStore (${dir}) needs a file system, which a browser does not have; use MemoryBlobStore`),
    );
  }
}
