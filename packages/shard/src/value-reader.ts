import { StatemeshError, VersionStamp } from '@statemesh/contracts';
import { AppliedChange } from './change.js';
import type { BlobRef, BlobStore } from '@statemesh/contracts';
import type { BlobValues } from './blob-values.js';
import { BlobValue, DecodedValue } from './path-record.js';
import type { PathRecord } from './path-record.js';
import type { PathTree } from './path-tree.js';
import { decodeValue, inlineValue } from './value-decode.js';
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
    if (!(payload instanceof BlobValue)) {
      const value = inlineValue(path, record);
      const held = record.payload;
      const data = held instanceof DecodedValue ? held.data : typeof held === 'string' || held instanceof Uint8Array ? held : undefined;
      return new ValueView(path, record.type, version, value, data, undefined, false, data === undefined);
    }
    if (payload.pending) return new ValueView(path, record.type, version, undefined, undefined, payload.ref, true, false);
    const bytes = blobBytes ?? payload.bytes ?? this.#blobs.get(payload.ref);
    const value = bytes === undefined ? undefined : decodeValue(path, record.type, record.origin, bytes);
    return new ValueView(path, record.type, version, value, bytes, payload.ref, false, false);
  }

  /** The value at `path` with its bytes, a blob's read back from the store when not in memory. */
  async read(path: string): Promise<ValueView | undefined> {
    for (;;) {
      const record = this.#tree.get(path);
      if (record === undefined || record.type === '') return undefined;
      const payload = record.payload;
      if (!(payload instanceof BlobValue) || payload.pending || payload.bytes !== undefined || !this.#blobs.backed) return this.view(path, record);
      const { seq, origin } = record;
      const bytes = await this.#blobs.read(payload.ref);
      // Overwritten meanwhile: read what is there now.
      if (this.#tree.get(path) === record && record.seq === seq && record.origin === origin) return this.view(path, record, bytes);
    }
  }

  /** True when `record` holds a blob value not hydrated here yet. */
  isPending(record: PathRecord): boolean {
    return record.type !== '' && record.payload instanceof BlobValue && record.payload.pending;
  }

  /**
   * Marks the pending blob at `path` hydrated (with its `bytes`, checked against its size); returns the change
   * to publish, or undefined when the path holds no pending blob (overwritten or deleted meanwhile).
   */
  markHydrated(path: string, bytes: Uint8Array | undefined): AppliedChange | undefined {
    const record = this.#tree.get(path);
    if (record === undefined || !this.isPending(record)) return undefined;
    const ref = (record.payload as BlobValue).ref;
    if (bytes !== undefined && (!(bytes instanceof Uint8Array) || bytes.byteLength !== ref.size)) {
      throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/shard: markHydrated(${JSON.stringify(path)}) got ${bytes instanceof Uint8Array ? bytes.byteLength : typeof bytes} bytes for a blob of ${ref.size}; pass the assembled, decoded value`);
    }
    this.hydrated(path, record, bytes);
    return new AppliedChange(path, 'set', new VersionStamp(record.hlc, record.origin, record.seq), record.type, bytes, undefined, ref, false, 'hydrator');
  }

  /** Marks the pending blob of `record` hydrated; its `bytes`, when given, kept in memory (bounded with a store). */
  hydrated(path: string, record: PathRecord, bytes: Uint8Array | undefined): void {
    const ref = (record.payload as BlobValue).ref;
    if (bytes !== undefined && this.#blobs.backed) this.#blobs.put(ref, bytes);
    // Without a store there is nowhere to read them back from: the record keeps them.
    this.#tree.replacePayload(path, record, new BlobValue(ref, false, this.#blobs.backed ? undefined : bytes));
  }

  /** A local value now stored as the blob `ref`: the record keeps the reference, memory the bytes while the bound allows. */
  offloaded(path: string, record: PathRecord, ref: BlobRef, bytes: Uint8Array): void {
    this.#blobs.put(ref, bytes);
    this.#tree.replacePayload(path, record, new BlobValue(ref, false, undefined));
  }
}
