import { StatemeshError } from './error.js';

/** Options for {@link Codec.decode}. */
export interface DecodeOptions {
  /** Refuse, with `DECODED_TOO_LARGE`, any input that would decode to more bytes than this. */
  readonly maxDecodedBytes?: number;
}

/**
 * A compression codec. `encode` must be deterministic for a given input and settings; `decode` must treat its
 * input as hostile: a corrupt input fails with `CORRUPT_INPUT`, an input that would decode past
 * `maxDecodedBytes` fails with `DECODED_TOO_LARGE` before the memory is allocated.
 */
export interface Codec {
  /** Stable id recorded next to the data it encoded (`raw`, `rle`, `zstd`). */
  readonly id: string;
  encode(data: Uint8Array): Promise<Uint8Array>;
  decode(data: Uint8Array, options?: DecodeOptions): Promise<Uint8Array>;
}

/** Default ceiling on decoded output when a caller gives none: 1 GiB. */
export const DEFAULT_MAX_DECODED_BYTES = 1024 * 1024 * 1024;

/** Identity codec. */
export const rawCodec: Codec = {
  id: 'raw',
  encode: (data) => Promise.resolve(data),
  decode(data, options) {
    const max = options?.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
    if (data.byteLength > max) return Promise.reject(tooLarge('raw', data.byteLength, max));
    return Promise.resolve(data);
  },
};

/** Run-length codec: pairs of (count 1-255, byte). Good for sparse volumes and masks. */
export const rleCodec: Codec = {
  id: 'rle',
  encode: (data) => Promise.resolve(rleEncode(data)),
  decode(data, options) {
    try {
      return Promise.resolve(rleDecode(data, options?.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  },
};

function rleEncode(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(countRuns(data) * 2);
  let o = 0;
  for (let i = 0; i < data.length; ) {
    const byte = data[i]!;
    let run = 1;
    while (run < 255 && i + run < data.length && data[i + run] === byte) run++;
    out[o++] = run;
    out[o++] = byte;
    i += run;
  }
  return out;
}

function countRuns(data: Uint8Array): number {
  let runs = 0;
  for (let i = 0; i < data.length; ) {
    const byte = data[i]!;
    let run = 1;
    while (run < 255 && i + run < data.length && data[i + run] === byte) run++;
    runs++;
    i += run;
  }
  return runs;
}

function rleDecode(data: Uint8Array, max: number): Uint8Array {
  if (data.length % 2 !== 0) {
    throw new StatemeshError('CORRUPT_INPUT', `@statemesh/contracts: rle input has odd length ${data.length}; it is truncated or not rle`);
  }
  // First pass: validate and size the output, so a bomb is refused before anything is allocated.
  let total = 0;
  for (let i = 0; i < data.length; i += 2) {
    const count = data[i]!;
    if (count === 0) throw new StatemeshError('CORRUPT_INPUT', `@statemesh/contracts: rle run at byte ${i} has count 0`);
    total += count;
  }
  if (total > max) throw tooLarge('rle', total, max);
  const out = new Uint8Array(total);
  let o = 0;
  for (let i = 0; i < data.length; i += 2) {
    const count = data[i]!;
    out.fill(data[i + 1]!, o, o + count);
    o += count;
  }
  return out;
}

function tooLarge(codec: string, size: number, max: number): StatemeshError {
  return new StatemeshError(
    'DECODED_TOO_LARGE',
    `@statemesh/contracts: ${codec} input decodes to ${size} bytes, over the limit of ${max}; raise maxDecodedBytes if this value is legitimate`,
    { details: { size, max } },
  );
}

/** Codecs by id. `CodecRegistry.withBuiltins()` holds `raw` and `rle`; `@statemesh/codec-zstd` adds `zstd`. */
export class CodecRegistry {
  readonly #codecs = new Map<string, Codec>();

  /** A registry holding the built-in `raw` and `rle` codecs. */
  static withBuiltins(): CodecRegistry {
    return new CodecRegistry().register(rawCodec).register(rleCodec);
  }

  /** Adds (or replaces) a codec under its id. */
  register(codec: Codec): this {
    if (typeof codec?.id !== 'string' || codec.id === '') {
      throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/contracts: a codec needs a non-empty string id');
    }
    this.#codecs.set(codec.id, codec);
    return this;
  }

  /** True when a codec with this id is registered. */
  has(id: string): boolean {
    return this.#codecs.has(id);
  }

  /** The codec with this id; the empty id means `raw`. Throws `UNKNOWN_CODEC` when absent. */
  get(id: string): Codec {
    const codec = this.#codecs.get(id === '' ? 'raw' : id);
    if (codec === undefined) {
      throw new StatemeshError(
        'UNKNOWN_CODEC',
        `@statemesh/contracts: no codec "${id}" is registered (have: ${[...this.#codecs.keys()].join(', ') || 'none'}); register it, e.g. registerZstd(registry) from @statemesh/codec-zstd`,
        { details: { codec: id } },
      );
    }
    return codec;
  }

  /** Registered ids, in registration order. */
  ids(): string[] {
    return [...this.#codecs.keys()];
  }

  /** Encodes with the codec `id`. */
  encode(id: string, data: Uint8Array): Promise<Uint8Array> {
    return this.get(id).encode(data);
  }

  /** Decodes with the codec `id`, refusing output beyond `maxDecodedBytes`. */
  decode(id: string, data: Uint8Array, options?: DecodeOptions): Promise<Uint8Array> {
    return this.get(id).decode(data, options);
  }
}
