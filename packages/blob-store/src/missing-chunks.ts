import { isStatemeshError, type BlobRef, type BlobStore } from '@statemesh/contracts';
import type { ChunkManifest } from './manifest.js';
import { loadManifest, assertBlobRef } from './load-manifest.js';

/**
 * Digests of the blobs still needed to assemble `ref`, each once, in manifest order: the manifest's own digest
 * alone when the manifest is missing (its chunks are unknown until it arrives), else the chunks not stored.
 */
export async function missingChunks(store: BlobStore, ref: BlobRef): Promise<string[]> {
  assertBlobRef(ref);
  if (!(await store.has(ref.digest))) return [ref.digest];
  let manifest: ChunkManifest;
  try {
    manifest = await loadManifest(store, ref);
  } catch (error) {
    // A manifest that vanished or was corrupt on disk (and so dropped) is needed again.
    if (isStatemeshError(error, 'BLOB_NOT_FOUND') || isStatemeshError(error, 'CHUNK_DIGEST_MISMATCH')) return [ref.digest];
    throw error;
  }
  const missing: string[] = [];
  const seen = new Set<string>();
  for (const { digest } of manifest.chunks) {
    if (seen.has(digest)) continue;
    seen.add(digest);
    if (!(await store.has(digest))) missing.push(digest);
  }
  return missing;
}
