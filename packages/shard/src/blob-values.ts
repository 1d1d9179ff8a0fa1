import { getChunked } from '@statemesh/blob-store';
import type { CodecRegistry } from '@statemesh/contracts';
import type { BlobRef, BlobStore } from '@statemesh/contracts';

/**
 * The bytes of large (blob) values that a replica keeps in memory. With a blob store, only the most recently
 * used ones, up to a bound in bytes: the rest are read back from the store when asked for (`read`), so a replica
 * of many large values does not hold them all. Kept by digest, so that a value overwritten or deleted simply ages out.
 */
export class BlobValues {
  readonly #store: BlobStore | undefined;
  readonly #registry: CodecRegistry | undefined;
  readonly #maxBytes: number;
  /** Digest -> bytes, least recently used first. */
  readonly #cache = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(store: BlobStore | undefined, registry: CodecRegistry | undefined, maxBytes: number) {
    this.#store = store;
    this.#registry = registry;
    this.#maxBytes = maxBytes;
  }

  /** The blob store, when there is one. */
  get store(): BlobStore | undefined {
    return this.#store;
  }

  /** True when blob values can be read back from a store (so the shard need not keep their bytes). */
  get backed(): boolean {
    return this.#store !== undefined;
  }

  /** Bytes held in memory. */
  get bytesHeld(): number {
    return this.#bytes;
  }

  /** The bytes of `ref` when in memory (and marks them recently used). */
  get(ref: BlobRef): Uint8Array | undefined {
    const bytes = this.#cache.get(ref.digest);
    if (bytes !== undefined) {
      this.#cache.delete(ref.digest);
      this.#cache.set(ref.digest, bytes);
    }
    return bytes;
  }

  /** Keeps `bytes` of `ref` in memory while the bound allows, dropping the least recently used. */
  put(ref: BlobRef, bytes: Uint8Array): void {
    if (bytes.byteLength > this.#maxBytes) return;
    const held = this.#cache.get(ref.digest);
    if (held !== undefined) {
      this.#cache.delete(ref.digest);
      this.#bytes -= held.byteLength;
    }
    this.#cache.set(ref.digest, bytes);
    this.#bytes += bytes.byteLength;
    for (const [digest, old] of this.#cache) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#cache.delete(digest);
      this.#bytes -= old.byteLength;
    }
  }

  /** The bytes of `ref`: from memory, else assembled from the store (and kept while the bound allows). */
  async read(ref: BlobRef): Promise<Uint8Array> {
    const held = this.get(ref);
    if (held !== undefined) return held;
    const bytes = await getChunked(this.#store!, ref, this.#registry === undefined ? {} : { registry: this.#registry });
    this.put(ref, bytes);
    return bytes;
  }
}
