/** Default chunk size (fixed chunking) and average chunk size (content-defined chunking): 1 MiB. */
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;
/** Smallest fixed chunk size accepted. */
export const MIN_FIXED_CHUNK_SIZE = 64;
/** Largest fixed chunk size accepted (and largest chunk of any kind): 64 MiB. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
/** Smallest average size accepted for content-defined chunking. */
export const MIN_CDC_AVERAGE = 256;
/** Largest average size accepted for content-defined chunking (its chunks reach 4× the average). */
export const MAX_CDC_AVERAGE = MAX_CHUNK_BYTES / 4;

/** Largest raw chunk that a manifest with this chunking and chunk size may list. */
export function maxRawChunkBytes(chunking: 'fixed' | 'cdc', chunkSize: number): number {
  return chunking === 'fixed' ? chunkSize : chunkSize * 4;
}
