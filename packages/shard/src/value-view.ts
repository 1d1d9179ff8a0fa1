import { VersionStamp } from '@statemesh/contracts';
import type { BlobRef } from '@statemesh/contracts';
import type { ShardEntry } from './shard-value.js';
import { utf8 } from './value-decode.js';

/**
 * A value as `get` and `entries` hand it out. `bytes` is made on first read (a json value read for its `value`
 * never encodes its text again).
 */
export class ValueView implements ShardEntry {
  readonly #data: Uint8Array | string | undefined;
  readonly #primitive: boolean;
  #bytes: Uint8Array | undefined = undefined;

  constructor(
    readonly path: string,
    readonly type: string,
    readonly version: VersionStamp,
    readonly value: unknown,
    data: Uint8Array | string | undefined,
    readonly ref: BlobRef | undefined,
    readonly pending: boolean,
    /** True when `value` is a JSON primitive whose bytes are its JSON text. */
    primitive: boolean,
  ) {
    this.#data = data;
    this.#primitive = primitive;
  }

  /** The value's bytes; undefined while pending, or for a blob whose bytes are not in memory (see `Shard.read`). */
  get bytes(): Uint8Array | undefined {
    if (this.#primitive) return (this.#bytes ??= utf8(JSON.stringify(this.value)));
    const data = this.#data;
    if (typeof data !== 'string') return data;
    return (this.#bytes ??= utf8(data));
  }

  /** What `JSON.stringify` writes: the fields, with the version's hlc as a decimal string and no raw bytes. */
  toJSON(): Record<string, unknown> {
    return { path: this.path, type: this.type, version: this.version, value: this.value instanceof Uint8Array ? undefined : this.value, ref: this.ref, pending: this.pending };
  }
}
