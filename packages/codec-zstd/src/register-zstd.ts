import type { CodecRegistry } from '@statemesh/contracts';
import { type ZstdCodecOptions, zstdCodec } from './zstd-codec.js';

/** Registers a zstd codec (id `zstd`) in `registry` and returns the registry; with `raw` and `rle` that makes the three built-ins. */
export function registerZstd(registry: CodecRegistry, options: ZstdCodecOptions = {}): CodecRegistry {
  return registry.register(zstdCodec(options));
}
