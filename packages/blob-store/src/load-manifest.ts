import { StatemeshError, isDigest, type BlobRef, type BlobStore } from '@statemesh/contracts';
import { decodeManifest, type ChunkManifest } from './manifest.js';

/**
 * Reads and decodes the manifest `ref` names from `store`, and checks that it agrees with `ref`.
 * Throws `BLOB_NOT_FOUND` when the manifest is not stored, `CORRUPT_INPUT` when it contradicts the ref.
 */
export async function loadManifest(store: BlobStore, ref: BlobRef): Promise<ChunkManifest> {
  assertBlobRef(ref);
  const bytes = await store.get(ref.digest);
  if (bytes === undefined) {
    throw new StatemeshError(
      'BLOB_NOT_FOUND',
      `@statemesh/blob-store: manifest ${ref.digest} is not in the store; hydrate the blob from a peer first (Hydrator) or check the ref`,
      { details: { digest: ref.digest } },
    );
  }
  return checkManifest(decodeManifest(bytes), ref);
}

/** Throws `CORRUPT_INPUT` unless `manifest` describes the value `ref` announces (size and codec). */
export function checkManifest(manifest: ChunkManifest, ref: BlobRef): ChunkManifest {
  if (manifest.totalSize !== ref.size || (manifest.codec !== ref.codec && ref.codec !== '')) {
    throw new StatemeshError(
      'CORRUPT_INPUT',
      `@statemesh/blob-store: manifest ${ref.digest} describes ${manifest.totalSize} bytes of ${manifest.codec}, but the ref says ${ref.size} bytes of ${ref.codec}; the ref or the manifest is forged`,
      { details: { digest: ref.digest } },
    );
  }
  return manifest;
}

/** Throws `INVALID_ARGUMENT` unless `ref` has a digest, a non-negative integer size and a codec string. */
export function assertBlobRef(ref: BlobRef): void {
  if (
    typeof ref !== 'object' || ref === null || !isDigest(ref.digest) ||
    !Number.isSafeInteger(ref.size) || ref.size < 0 || typeof ref.codec !== 'string'
  ) {
    throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/blob-store: a BlobRef needs { digest: 64 lowercase hex, size: integer ≥ 0, codec: string }', {
      details: { ref },
    });
  }
}
