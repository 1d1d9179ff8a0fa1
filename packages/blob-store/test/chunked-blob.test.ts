import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CodecRegistry, isStatemeshError, type BlobStore, type Codec } from '@statemesh/contracts';
import {
  MemoryBlobStore,
  READ_WINDOW,
  cdcCutPoints,
  decodeManifest,
  encodeManifest,
  getChunked,
  loadManifest,
  missingChunks,
  putChunked,
} from '@statemesh/blob-store';
import { seededBytes } from './seeded-bytes.ts';

const KiB = 1024;

describe('putChunked / getChunked', () => {
  it('round-trips values of every shape, fixed and content-defined', async () => {
    const store = new MemoryBlobStore();
    for (const chunking of ['fixed', 'cdc'] as const) {
      for (const length of [0, 1, 4 * KiB - 1, 4 * KiB, 4 * KiB + 1, 100 * KiB + 7]) {
        const value = seededBytes(length, length + 1);
        const ref = await putChunked(store, value, { chunking, chunkSize: 4 * KiB });
        expect(ref.size).toBe(length);
        expect(ref.codec).toBe('raw');
        expect(Buffer.from(await getChunked(store, ref)).equals(value)).toBe(true);
      }
    }
  });

  it('lets the event loop run while it chunks a large value, with the same chunks as cdcCutPoints', async () => {
    const store = new MemoryBlobStore();
    const value = seededBytes(16 * 1024 * KiB, 11);
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const ref = await putChunked(store, value, { chunking: 'cdc' });
    ticking = false;
    // 16 MiB in one synchronous stretch would let no setImmediate run before putChunked resolves.
    expect(ticks).toBeGreaterThanOrEqual(4);
    const manifest = await loadManifest(store, ref);
    let start = 0;
    expect(manifest.chunks.map((chunk) => (start += chunk.rawSize))).toEqual(cdcCutPoints(value, 1024 * KiB));
  });

  it('writes a manifest with sizes, codec, content digest and one entry per chunk', async () => {
    const store = new MemoryBlobStore();
    const value = seededBytes(10 * KiB, 3);
    const ref = await putChunked(store, value, { chunkSize: 4 * KiB });
    const manifest = await loadManifest(store, ref);
    expect(manifest).toMatchObject({ chunking: 'fixed', chunkSize: 4 * KiB, totalSize: 10 * KiB, codec: 'raw' });
    expect(manifest.contentDigest).toBe(createHash('sha256').update(value).digest('hex'));
    expect(manifest.chunks.map((c) => c.rawSize)).toEqual([4 * KiB, 4 * KiB, 2 * KiB]);
    expect(manifest.chunks[0]!.digest).toBe(createHash('sha256').update(value.subarray(0, 4 * KiB)).digest('hex'));
    expect(await store.size()).toBe(4); // three chunks and the manifest
  });

  it('stores identical chunks once, across overlapping payloads', async () => {
    const store = new MemoryBlobStore();
    const a = seededBytes(64 * KiB, 11);
    const b = new Uint8Array(96 * KiB);
    b.set(a.subarray(0, 48 * KiB)); // shares its first twelve 4 KiB chunks with a
    b.set(seededBytes(48 * KiB, 12), 48 * KiB);
    await putChunked(store, a, { chunkSize: 4 * KiB });
    expect(await store.size()).toBe(16 + 1);
    const refB = await putChunked(store, b, { chunkSize: 4 * KiB });
    expect(await store.size()).toBe(16 + 1 + 12 + 1); // only b's twelve new chunks and its manifest
    const zeros = await putChunked(store, new Uint8Array(40 * KiB), { chunkSize: 4 * KiB });
    expect(await store.size()).toBe(30 + 1 + 1); // ten identical zero chunks: one blob
    expect(await getChunked(store, refB)).toEqual(b);
    expect(await getChunked(store, zeros)).toEqual(new Uint8Array(40 * KiB));
  });

  it('compresses chunks with the codec, keeping raw those too small or that do not shrink', async () => {
    const store = new MemoryBlobStore();
    const value = new Uint8Array(12 * KiB + 100);
    value.set(seededBytes(4 * KiB, 5), 4 * KiB); // chunk 1 is noise: rle would grow it
    const ref = await putChunked(store, value, { chunkSize: 4 * KiB, codec: 'rle', registry: CodecRegistry.withBuiltins() });
    expect(ref.codec).toBe('rle');
    const manifest = await loadManifest(store, ref);
    expect(manifest.codec).toBe('rle');
    // zeros: compressed; noise: raw; zeros: compressed (same stored blob as chunk 0); 100-byte tail: below 256, raw.
    expect(manifest.chunks.map((c) => c.compressed)).toEqual([true, false, true, false]);
    expect(manifest.chunks[0]!.storedSize).toBeLessThan(100);
    expect(manifest.chunks[2]!.digest).toBe(manifest.chunks[0]!.digest);
    expect(Buffer.from(await getChunked(store, ref)).equals(value)).toBe(true);
    const everything = await putChunked(store, value, { chunkSize: 4 * KiB, codec: 'rle', minCompressBytes: 0 });
    expect((await loadManifest(store, everything)).chunks.map((c) => c.compressed)).toEqual([true, false, true, true]);
  });

  it('refuses an unknown codec before storing anything, and bad options', async () => {
    const store = new MemoryBlobStore();
    const error = await putChunked(store, new Uint8Array(10), { codec: 'zstd' }).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'UNKNOWN_CODEC')).toBe(true);
    expect(await store.size()).toBe(0);
    await expect(putChunked(store, new Uint8Array(10), { chunkSize: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(putChunked(store, new Uint8Array(10), { chunking: 'cdc', chunkSize: 100 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(putChunked(store, new Uint8Array(10), { chunking: 'x' as 'cdc' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(putChunked(store, new Uint8Array(10), { minCompressBytes: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('lists the missing chunks, each once, and names the missing one when reading', async () => {
    const store = new MemoryBlobStore();
    const value = new Uint8Array(16 * KiB);
    value.set(seededBytes(4 * KiB, 9), 8 * KiB);
    const ref = await putChunked(store, value, { chunkSize: 4 * KiB });
    expect(await missingChunks(store, ref)).toEqual([]);
    const manifest = await loadManifest(store, ref);
    const zero = manifest.chunks[0]!.digest;
    await store.delete(zero);
    expect(await missingChunks(store, ref)).toEqual([zero]); // three zero chunks, one digest
    await expect(getChunked(store, ref)).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND', details: { digest: zero } });
    await store.delete(ref.digest);
    expect(await missingChunks(store, ref)).toEqual([ref.digest]);
    await expect(getChunked(store, ref)).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
  });

  it('refuses a value past maxDecodedBytes before allocating it', async () => {
    const store = new MemoryBlobStore();
    const ref = await putChunked(store, new Uint8Array(20 * KiB), { chunkSize: 4 * KiB });
    await expect(getChunked(store, ref, { maxDecodedBytes: 10 * KiB })).rejects.toMatchObject({ code: 'DECODED_TOO_LARGE' });
    expect(await getChunked(store, ref, { maxDecodedBytes: 20 * KiB })).toHaveLength(20 * KiB);
  });

  it('refuses a ref that contradicts its manifest, and a manifest whose content digest is wrong', async () => {
    const store = new MemoryBlobStore();
    const value = seededBytes(9 * KiB, 2);
    const ref = await putChunked(store, value, { chunkSize: 4 * KiB });
    await expect(getChunked(store, { ...ref, size: ref.size + 1 })).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    await expect(getChunked(store, { ...ref, codec: 'rle' })).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    await expect(getChunked(store, { ...ref, digest: 'nope' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const manifest = await loadManifest(store, ref);
    const forged = await store.put(encodeManifest({ ...manifest, contentDigest: 'ab'.repeat(32) }));
    await expect(getChunked(store, { ...ref, digest: forged })).rejects.toMatchObject({ code: 'CHUNK_DIGEST_MISMATCH' });
  });

  it('refuses a chunk that does not decode to the size its manifest says', async () => {
    const store = new MemoryBlobStore();
    const lying: Codec = { id: 'lying', encode: async (d) => d.subarray(0, d.length >> 1), decode: async (d) => d };
    const registry = CodecRegistry.withBuiltins().register(lying);
    const ref = await putChunked(store, new Uint8Array(8 * KiB), { chunkSize: 4 * KiB, codec: 'lying', registry });
    await expect(getChunked(store, ref, { registry })).rejects.toMatchObject({ code: 'CORRUPT_INPUT' });
    await expect(getChunked(store, ref)).rejects.toMatchObject({ code: 'UNKNOWN_CODEC' });
  });

  it('assembles into one buffer of the value size, with at most a few chunk reads in flight', async () => {
    // The design that lets a 1 GiB value assemble in 1 GiB plus a few chunks, checked on a small value.
    const inner = new MemoryBlobStore();
    const value = seededBytes(64 * 4 * KiB, 8);
    const ref = await putChunked(inner, value, { chunkSize: 4 * KiB });
    let inFlight = 0;
    let maxInFlight = 0;
    let reads = 0;
    const counting: BlobStore = {
      put: (b) => inner.put(b),
      has: (d) => inner.has(d),
      delete: (d) => inner.delete(d),
      size: () => inner.size(),
      digests: () => inner.digests(),
      async get(digest) {
        reads++;
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        inFlight--;
        return inner.get(digest);
      },
    };
    const out = await getChunked(counting, ref);
    expect(Buffer.from(out).equals(value)).toBe(true);
    expect(out.buffer.byteLength).toBe(value.length); // one allocation of exactly the value's size
    expect(reads).toBe(64 + 1);
    expect(maxInFlight).toBeLessThanOrEqual(READ_WINDOW);
    expect(maxInFlight).toBeGreaterThan(1); // reads overlap
  });

  it('keeps the manifest decodable by decodeManifest', async () => {
    const store = new MemoryBlobStore();
    const ref = await putChunked(store, seededBytes(5000, 4), { chunking: 'cdc', chunkSize: 1024 });
    const manifest = decodeManifest((await store.get(ref.digest))!);
    expect(manifest.chunking).toBe('cdc');
    expect(manifest.chunks.reduce((n, c) => n + c.rawSize, 0)).toBe(5000);
  });
});
