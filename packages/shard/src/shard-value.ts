import type { BlobRef, Version } from '@statemesh/contracts';

/** A value as `get` returns it. */
export interface ShardValue {
  readonly type: string;
  readonly version: Version;
  /** Parsed JSON for type `json`, the string for `text`, the bytes for any other type; undefined while pending. */
  readonly value: unknown;
  /** The value's bytes; undefined while pending (or for a hydrated blob whose bytes were not handed over). */
  readonly bytes: Uint8Array | undefined;
  /** For a value kept as a chunked blob: its reference. */
  readonly ref: BlobRef | undefined;
  /** True while a blob value has not been hydrated on this replica. */
  readonly pending: boolean;
}

/** A value with its path, as `entries` returns it. */
export interface ShardEntry extends ShardValue {
  readonly path: string;
}
