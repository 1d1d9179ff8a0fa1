import { VersionStamp } from '@statemesh/contracts';
import type { BlobRef, BlobStore } from '@statemesh/contracts';
import type { BlobValues } from './blob-values.js';
import { PENDING, UNDECODED } from './path-record.js';
import type { PathRecord } from './path-record.js';
import type { PathTree } from './path-tree.js';
import { cachedValue, decodeValue } from './value-decode.js';
import { ValueView } from './value-view.js';

/**
 * How a record's value is read: inline values from the record (decoded once), blob values from memory while
 * there, else (`read`) from the blob store; and how blob values change state (hydrated, offloaded).
 */
export class ValueReader {
  readonly #tree: PathTree;
  readonly #blobs: BlobValues;

  constructor(tree: PathTree, blobs: BlobValues) {
    this.#tree = tree;
    this.#blobs = blobs;
  }

  /** The blob store, when there is one. */
  get store(): BlobStore | undefined {
    return this.#blobs.store;
  }

  /** The value held by `record` (which holds one) as `get` returns it. */
  view(path: string, record: PathRecord, blobBytes?: Uint8Array): ValueView {
    const version = new VersionStamp(record.hlc, record.origin, record.seq);
    const payload = record.payload;
    if (payload === undefined) return new ValueView(path, record.type, version, record.cache, undefined, undefined, false);
    if (typeof payload === 'string' || payload instanceof Uint8Array) return new ValueView(path, record.type, version, cachedValue(path, record), payload, undefined, false);
    const cache = record.cache;
    if (cache === PENDING) return new ValueView(path, record.type, version, undefined, undefined, payload, true);
    const bytes = blobBytes ?? (cache instanceof Uint8Array ? cache : this.#blobs.get(payload));
    const value = bytes === undefined ? undefined : decodeValue(path, record.type, record.origin, bytes);
    return new ValueView(path, record.type, version, value, bytes, payload, false);
  }

  /** The value at `path` with its bytes, a blob's read back from the store when not in memory. */
  async read(path: string): Promise<ValueView | undefined> {
    for (;;) {
      const record = this.#tree.get(path);
      if (record === undefined || record.type === '') return undefined;
      const payload = record.payload;
      const isBlob = payload !== undefined && typeof payload !== 'string' && !(payload instanceof Uint8Array);
      if (!isBlob || record.cache !== UNDECODED || !this.#blobs.backed) return this.view(path, record);
      const held = this.#blobs.get(payload);
      if (held !== undefined) return this.view(path, record, held);
      const { seq, origin } = record;
      const bytes = await this.#blobs.read(payload);
      const now = this.#tree.get(path);
      // Overwritten meanwhile: read what is there now.
      if (now === record && record.seq === seq && record.origin === origin) return this.view(path, record, bytes);
    }
  }

  /** True when `record` holds a blob value not hydrated here yet. */
  isPending(record: PathRecord): boolean {
    return record.type !== '' && record.cache === PENDING;
  }

  /** Marks the pending blob of `record` hydrated; its `bytes`, when given, kept in memory (bounded with a store). */
  hydrated(path: string, record: PathRecord, bytes: Uint8Array | undefined): void {
    if (bytes !== undefined && this.#blobs.backed) this.#blobs.put(record.payload as BlobRef, bytes);
    // Without a store there is nowhere to read them back from: the record keeps them.
    this.#tree.hydrated(path, record, bytes !== undefined && !this.#blobs.backed ? bytes : UNDECODED);
  }

  /** A local value now stored as the blob `ref`: the record keeps the reference, memory the bytes while the bound allows. */
  offloaded(path: string, record: PathRecord, ref: BlobRef, bytes: Uint8Array): void {
    this.#blobs.put(ref, bytes);
    this.#tree.replacePayload(path, record, ref, UNDECODED);
  }
}
