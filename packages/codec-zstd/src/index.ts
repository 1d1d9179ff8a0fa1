export {
  DEFAULT_ZSTD_LEVEL,
  MAX_ZSTD_LEVEL,
  MIN_ZSTD_LEVEL,
  ZSTD_CODEC_ID,
  type ZstdCodec,
  type ZstdCodecOptions,
  zstdCodec,
} from './zstd-codec.js';
export { registerZstd } from './register-zstd.js';
export { boundZstdFrames, ZSTD_MAGIC, type ZstdFrameBound } from './frame-bound.js';
export { decodeMessageBatch, encodeMessageBatch } from './message-batch.js';
export type { ZstdNativeBinding } from './native-binding.js';
