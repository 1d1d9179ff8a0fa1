import { createSha256 } from './sha256.js';
import { DEFAULT_MAX_DECODED_BYTES, StatemeshError, type BlobRef, type BlobStore, type CodecRegistry } from '@statemesh/contracts';
import { loadManifest } from './load-manifest.js';
import type { ChunkManifest } from './manifest.js';
import { defaultRegistry } from './put-chunked.js';
import { canReadBlobInto, readBlobInto } from './read-blob-into.js';

/** Options of {@link getChunked}. */
export interface GetChunkedOptions {
  /** Where the manifest's codec is looked up (default: the built-in `raw` and `rle`). */
  registry?: CodecRegistry;
  /** Refuse, with `DECODED_TOO_LARGE` and before allocating, a value larger than this (default 1 GiB). */
  maxDecodedBytes?: number;
}

/** How many chunk reads `getChunked` keeps in flight: the memory it needs beyond the value is this many chunks. */
export const READ_WINDOW = 4;

/**
 * Reads the chunked blob `ref` names: loads its manifest, reads every chunk (the store verifies each against its
 * digest), decodes it into one buffer allocated once at the value's size, and verifies the whole value's digest
 * as it goes. Throws `BLOB_NOT_FOUND` / `CHUNK_NOT_FOUND` when something is not stored (see `missingChunks`),
 * `CHUNK_DIGEST_MISMATCH` when the value does not match its digest, `DECODED_TOO_LARGE` past `maxDecodedBytes`.
 */
export async function getChunked(store: BlobStore, ref: BlobRef, options: GetChunkedOptions = {}): Promise<Uint8Array> {
  const maxDecodedBytes = options.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES;
  if (!(maxDecodedBytes >= 0)) {
    throw new StatemeshError('INVALID_ARGUMENT', `@statemesh/blob-store: maxDecodedBytes must be a number ≥ 0, got ${maxDecodedBytes}`);
  }
  const manifest = await loadManifest(store, ref);
  if (manifest.totalSize > maxDecodedBytes) {
    throw new StatemeshError(
      'DECODED_TOO_LARGE',
      `@statemesh/blob-store: blob ${ref.digest} is ${manifest.totalSize} bytes, over the limit of ${maxDecodedBytes}; raise maxDecodedBytes if this value is legitimate`,
      { details: { size: manifest.totalSize, max: maxDecodedBytes } },
    );
  }
  return assemble(store, manifest, ref.digest, options.registry ?? defaultRegistry());
}

async function assemble(store: BlobStore, manifest: ChunkManifest, digest: string, registry: CodecRegistry): Promise<Uint8Array> {
  const codec = manifest.chunks.some((chunk) => chunk.compressed) ? registry.get(manifest.codec) : undefined;
  const out = new Uint8Array(manifest.totalSize);
  const content = createSha256();
  const { chunks } = manifest;
  const offsets: number[] = [];
  for (let i = 0, at = 0; i < chunks.length; at += chunks[i]!.rawSize, i++) offsets.push(at);
  const direct = canReadBlobInto(store) ? store : undefined;
  let unverified = false; // some chunk was read without its own digest check: the content digest vouches for it

  // Starts reading chunk i: a raw chunk goes straight into its slice of `out` where the store allows it.
  const read = async (i: number): Promise<Uint8Array | undefined> => {
    const chunk = chunks[i]!;
    const slice = out.subarray(offsets[i], offsets[i]! + chunk.rawSize);
    if (!chunk.compressed && direct !== undefined && (await direct[readBlobInto](chunk.digest, slice))) {
      unverified = true;
      return slice;
    }
    return store.get(chunk.digest);
  };
  const reads: Promise<Uint8Array | undefined>[] = [];
  let next = 0;
  try {
    for (let i = 0; i < chunks.length; i++) {
      while (next < chunks.length && next < i + READ_WINDOW) reads.push(read(next++));
      const chunk = chunks[i]!;
      const stored = await reads.shift();
      if (stored === undefined) {
        throw new StatemeshError(
          'CHUNK_NOT_FOUND',
          `@statemesh/blob-store: chunk ${i} (${chunk.digest}) of blob ${digest} is not in the store; hydrate it from a peer (missingChunks lists what is needed)`,
          { details: { digest: chunk.digest, blob: digest, index: i } },
        );
      }
      if (stored.length !== chunk.storedSize) corrupt(digest, `chunk ${i} has ${stored.length} bytes, the manifest says ${chunk.storedSize}`);
      const raw = chunk.compressed ? await codec!.decode(stored, { maxDecodedBytes: chunk.rawSize }) : stored;
      if (raw.length !== chunk.rawSize) corrupt(digest, `chunk ${i} decodes to ${raw.length} bytes, the manifest says ${chunk.rawSize}`);
      if (raw.buffer !== out.buffer) out.set(raw, offsets[i]);
      content.update(raw);
    }
  } catch (error) {
    await Promise.allSettled(reads); // no read left running unobserved
    throw error;
  }
  const actual = content.digestHex();
  if (actual !== manifest.contentDigest) {
    // Name the culprit: the verifying get throws CHUNK_DIGEST_MISMATCH for a corrupt chunk (and drops it).
    if (unverified) for (const chunk of chunks) if (!chunk.compressed) await store.get(chunk.digest);
    throw new StatemeshError(
      'CHUNK_DIGEST_MISMATCH',
      `@statemesh/blob-store: blob ${digest} assembles to content ${actual}, but its manifest says ${manifest.contentDigest}; the manifest or a codec is wrong, refetch the blob`,
      { details: { digest, expected: manifest.contentDigest, actual } },
    );
  }
  return out;
}

function corrupt(digest: string, message: string): never {
  throw new StatemeshError('CORRUPT_INPUT', `@statemesh/blob-store: blob ${digest}: ${message}; the stored data is damaged, refetch it`, {
    details: { digest },
  });
}
