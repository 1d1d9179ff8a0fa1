import { type Codec, DEFAULT_MAX_DECODED_BYTES, type DecodeOptions, StatemeshError } from '@statemesh/contracts';
import { withContentSize } from './content-size.js';
import { boundZstdFrames, ZSTD_MAGIC } from './frame-bound.js';
import { type ZstdNativeBinding, zstdNativeBinding } from './native-binding.js';

/** The id a zstd codec registers under and that manifests and frames record. */
export const ZSTD_CODEC_ID = 'zstd';

/** Level used when none is given: zstd's own default. */
export const DEFAULT_ZSTD_LEVEL = 3;

/** Lowest level zstd accepts (its fastest "negative" levels); the highest is 22. */
export const MIN_ZSTD_LEVEL = -131_072;

/** Highest zstd level. */
export const MAX_ZSTD_LEVEL = 22;

/** Options of {@link zstdCodec}. */
export interface ZstdCodecOptions {
  /** Compression level, an integer from -131072 to 22 (0 means zstd's default, 3). Default 3. */
  readonly level?: number;
  /** Ceiling on decoded output when a `decode` call gives none. Default 1 GiB (`DEFAULT_MAX_DECODED_BYTES`). */
  readonly maxDecodedBytes?: number;
  /**
   * The native functions to call. Default: the binding inside `@mongodb-js/zstd` 1.2.x, loaded on first use.
   * Inject another implementation of the same two calls (a synchronous or WebAssembly zstd, a test double).
   */
  readonly binding?: ZstdNativeBinding;
}

/** A zstd {@link Codec} with its settings. */
export interface ZstdCodec extends Codec {
  /** Always `zstd`. */
  readonly id: typeof ZSTD_CODEC_ID;
  /** Level `encode` compresses at. */
  readonly level: number;
  /** Ceiling on decoded output when a `decode` call gives none. */
  readonly maxDecodedBytes: number;
}

/**
 * A zstd codec. `encode` writes one standard zstd frame (with its content size) at `level`; `decode` accepts
 * any sequence of zstd and skippable frames, bounds the output from the headers before decoding and refuses
 * past `maxDecodedBytes` with `DECODED_TOO_LARGE`; a malformed input fails with `CORRUPT_INPUT`.
 */
export function zstdCodec(options: ZstdCodecOptions = {}): ZstdCodec {
  const level = options.level ?? DEFAULT_ZSTD_LEVEL;
  if (!Number.isInteger(level) || level < MIN_ZSTD_LEVEL || level > MAX_ZSTD_LEVEL) {
    throw new StatemeshError(
      'INVALID_ARGUMENT',
      `@statemesh/codec-zstd: level must be an integer from ${MIN_ZSTD_LEVEL} to ${MAX_ZSTD_LEVEL}, got ${String(level)}; 1 is fast, 3 the default, 19 small`,
      { details: { level } },
    );
  }
  const defaultMax = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  checkMax(defaultMax);
  const binding = options.binding;
  const native = (): ZstdNativeBinding => binding ?? zstdNativeBinding();
  return {
    id: ZSTD_CODEC_ID,
    level,
    maxDecodedBytes: defaultMax,
    encode: (data) => encodeZstd(native, data, level),
    decode: (data, decodeOptions: DecodeOptions | undefined) =>
      decodeZstd(native, data, decodeOptions?.maxDecodedBytes ?? defaultMax),
  };
}

async function encodeZstd(native: () => ZstdNativeBinding, data: Uint8Array, level: number): Promise<Uint8Array> {
  checkBytes(data, 'encode');
  const binding = native();
  let frame: unknown;
  try {
    frame = await binding.compress(asBuffer(data), level);
  } catch (error) {
    throw compressionFailed(data, level, nativeMessage(error), error);
  }
  if (!(frame instanceof Uint8Array) || frame.byteLength < 4 || readMagic(frame) !== ZSTD_MAGIC) {
    throw compressionFailed(data, level, 'the binding returned no zstd frame', undefined);
  }
  return asUint8Array(withContentSize(frame, data.byteLength));
}

function compressionFailed(data: Uint8Array, level: number, reason: string, cause: unknown): StatemeshError {
  return new StatemeshError(
    'COMPRESSION_FAILED',
    `@statemesh/codec-zstd: zstd could not compress ${data.byteLength} bytes at level ${level}: ${reason}; nothing was stored, retry or store the value with the raw codec`,
    { cause, details: { size: data.byteLength, level } },
  );
}

function readMagic(frame: Uint8Array): number {
  return (frame[0]! | (frame[1]! << 8) | (frame[2]! << 16) | (frame[3]! << 24)) >>> 0;
}

async function decodeZstd(native: () => ZstdNativeBinding, data: Uint8Array, max: number): Promise<Uint8Array> {
  checkBytes(data, 'decode');
  checkMax(max);
  // Sizes the output from the headers alone: a bomb is refused here, before the decoder allocates anything.
  const bound = boundZstdFrames(data, max);
  const binding = native();
  let decoded: unknown;
  try {
    decoded = await binding.decompress(asBuffer(data));
  } catch (error) {
    throw new StatemeshError(
      'CORRUPT_INPUT',
      `@statemesh/codec-zstd: zstd could not decode the input: ${nativeMessage(error)}; the data is corrupt or was not written by a zstd encoder`,
      { cause: error },
    );
  }
  if (!(decoded instanceof Uint8Array)) {
    throw new StatemeshError('CORRUPT_INPUT', '@statemesh/codec-zstd: the zstd binding returned no bytes for the input; the data is corrupt');
  }
  if (decoded.byteLength > max || (bound.exact && decoded.byteLength !== bound.maxDecodedBytes)) {
    throw new StatemeshError(
      'CORRUPT_INPUT',
      `@statemesh/codec-zstd: the input decoded to ${decoded.byteLength} bytes, ${bound.exact ? 'not' : 'more than'} the ${bound.maxDecodedBytes} its headers allow; the data is corrupt`,
      { details: { size: decoded.byteLength, declared: bound.maxDecodedBytes } },
    );
  }
  return asUint8Array(decoded);
}

function checkBytes(data: unknown, operation: string): asserts data is Uint8Array {
  if (!(data instanceof Uint8Array)) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/codec-zstd: ${operation} takes a Uint8Array, got ${describe(data)}`);
  }
}

function checkMax(max: number): void {
  if (!Number.isSafeInteger(max) || max < 0) {
    throw new StatemeshError(
      'INVALID_ARGUMENT',
      `@statemesh/codec-zstd: maxDecodedBytes must be a non-negative integer, got ${String(max)}`,
      { details: { maxDecodedBytes: max } },
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'an object';
  return typeof value;
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

// Plain Uint8Array views (no copy), so results compare equal to other codecs' results.
function asUint8Array(data: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(data) === Uint8Array.prototype ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function nativeMessage(error: unknown): string {
  return error instanceof Error && error.message !== '' ? error.message : String(error);
}
