import { createSha256 } from './sha256.js';
import { CodecRegistry, StatemeshError, type BlobRef, type BlobStore } from '@statemesh/contracts';
import { nextCdcCut } from './cdc-cut-points.js';
import { DEFAULT_CHUNK_SIZE, MAX_CDC_AVERAGE, MAX_CHUNK_BYTES, MIN_CDC_AVERAGE, MIN_FIXED_CHUNK_SIZE } from './chunk-limits.js';
import { encodeManifest, type ManifestChunk } from './manifest.js';

/** Chunks below this many bytes are stored raw by default: compressing them gains too little. */
export const DEFAULT_MIN_COMPRESS_BYTES = 256;
/** How many chunk writes `putChunked` keeps in flight while it hashes and encodes the next chunks. */
const WRITE_WINDOW = 4;
/** How many bytes `putChunked` cuts, hashes and encodes before it lets the event loop run (a few milliseconds of work). */
const YIELD_EVERY_BYTES = 1024 * 1024;

/** Options of {@link putChunked}. */
export interface PutChunkedOptions {
  /** Fixed chunk size, or the average size for `cdc` (default 1 MiB). */
  chunkSize?: number;
  /** `fixed` (default) cuts every `chunkSize` bytes; `cdc` cuts where the content says, so edits move few chunks. */
  chunking?: 'fixed' | 'cdc';
  /** Codec id for the chunks (default `raw`); it must be in `registry`. */
  codec?: string;
  /** Where `codec` is looked up (default: the built-in `raw` and `rle`). */
  registry?: CodecRegistry;
  /** Chunks shorter than this are stored raw (default 256); so are chunks the codec does not shrink. */
  minCompressBytes?: number;
}

let builtins: CodecRegistry | undefined;

/** The registry used when a caller gives none: `raw` and `rle`. */
export function defaultRegistry(): CodecRegistry {
  builtins ??= CodecRegistry.withBuiltins();
  return builtins;
}

/**
 * Cuts `bytes` into chunks, encodes each with the codec (keeping it raw when that does not pay), stores every
 * distinct chunk once and then a manifest listing them; returns a {@link BlobRef} whose digest is the manifest's.
 */
export async function putChunked(store: BlobStore, bytes: Uint8Array, options: PutChunkedOptions = {}): Promise<BlobRef> {
  if (!(bytes instanceof Uint8Array)) invalid('putChunked takes the value as a Uint8Array');
  const chunking = options.chunking ?? 'fixed';
  if (chunking !== 'fixed' && chunking !== 'cdc') invalid(`chunking must be 'fixed' or 'cdc', got ${String(chunking)}`);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const [low, high] = chunking === 'fixed' ? [MIN_FIXED_CHUNK_SIZE, MAX_CHUNK_BYTES] : [MIN_CDC_AVERAGE, MAX_CDC_AVERAGE];
  if (!Number.isInteger(chunkSize) || chunkSize < low || chunkSize > high) {
    invalid(`chunkSize for ${chunking} chunking must be an integer in ${low}-${high}, got ${chunkSize}`);
  }
  const minCompressBytes = options.minCompressBytes ?? DEFAULT_MIN_COMPRESS_BYTES;
  if (!Number.isInteger(minCompressBytes) || minCompressBytes < 0) invalid(`minCompressBytes must be a non-negative integer, got ${minCompressBytes}`);
  const codecId = options.codec === undefined || options.codec === '' ? 'raw' : options.codec;
  const codec = (options.registry ?? defaultRegistry()).get(codecId); // UNKNOWN_CODEC before any work

  const content = createSha256();
  const chunks: ManifestChunk[] = [];
  const writes: Promise<void>[] = [];
  // A value over the yield size starts on a later turn of the event loop: the caller (setBytes) returns at once.
  let sinceYield = bytes.length > YIELD_EVERY_BYTES ? YIELD_EVERY_BYTES : 0;
  try {
  // One chunk at a time, letting the event loop run after every MiB: cutting, hashing and encoding a large value
  // in one go would hold the caller's process for as long as the whole value takes (DESIGN section 4).
  for (let start = 0, end = 0; start < bytes.length; start = end) {
    end = chunking === 'cdc' ? nextCdcCut(bytes, start, chunkSize) : Math.min(start + chunkSize, bytes.length);
    if (sinceYield >= YIELD_EVERY_BYTES) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
    sinceYield += end - start;
    const raw = bytes.subarray(start, end);
    content.update(raw);
    let stored = raw;
    if (codecId !== 'raw' && raw.length >= minCompressBytes) {
      const encoded = await codec.encode(raw);
      if (encoded.length < raw.length) stored = encoded;
    }
    const index = chunks.length;
    chunks.push({ digest: '', storedSize: stored.length, rawSize: raw.length, compressed: stored !== raw });
    if (writes.length >= WRITE_WINDOW) await writes.shift();
    writes.push(
      store.put(stored).then((digest) => {
        chunks[index] = { ...chunks[index]!, digest };
      }),
    );
  }
  await Promise.all(writes);
  } catch (error) {
    await Promise.allSettled(writes); // no write left running unobserved
    throw error;
  }
  const manifest = encodeManifest({
    chunking,
    chunkSize,
    totalSize: bytes.length,
    codec: codecId,
    contentDigest: content.digestHex(),
    chunks,
  });
  return { digest: await store.put(manifest), size: bytes.length, codec: codecId };
}

function invalid(message: string): never {
  throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/blob-store: ${message}`);
}

/** Lets other work run: on `setImmediate` in Node (no 1 ms clamp), on `setTimeout` in browsers, which have none. */
function yieldToEventLoop(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise<void>((resolve) => (immediate === undefined ? setTimeout(resolve, 0) : immediate(resolve)));
}
