import { describe, expect, it } from 'vitest';
import { MemoryBlobStore, cdcCutPoints, fixedCutPoints, getChunked, loadManifest, missingChunks, putChunked } from '@statemesh/blob-store';
import { seededBytes } from './seeded-bytes.ts';

const KiB = 1024;

/** What a replica holding `old` must fetch to get `edited`, with the given chunking: distinct chunks and bytes. */
async function refetch(old: Uint8Array, edited: Uint8Array, chunking: 'fixed' | 'cdc'): Promise<{ chunks: number; bytes: number }> {
  const options = { chunking, chunkSize: 64 * KiB } as const;
  const replica = new MemoryBlobStore();
  await putChunked(replica, old, options);
  const writer = new MemoryBlobStore();
  const ref = await putChunked(writer, edited, options);
  await replica.put((await writer.get(ref.digest))!); // the manifest arrives first
  const missing = new Set(await missingChunks(replica, ref));
  const chunks = missing.size;
  let bytes = 0;
  for (const chunk of (await loadManifest(replica, ref)).chunks) {
    if (!missing.delete(chunk.digest)) continue;
    bytes += chunk.storedSize;
    await replica.put((await writer.get(chunk.digest))!);
  }
  expect(Buffer.from(await getChunked(replica, ref)).equals(edited)).toBe(true);
  return { chunks, bytes };
}

function insert(value: Uint8Array, at: number, extra: Uint8Array): Uint8Array {
  const out = new Uint8Array(value.length + extra.length);
  out.set(value.subarray(0, at));
  out.set(extra, at);
  out.set(value.subarray(at), at + extra.length);
  return out;
}

describe('content-defined chunking', () => {
  it('is deterministic and keeps chunks within a quarter and four times the average', () => {
    const value = seededBytes(2 * 1024 * KiB, 21);
    const ends = cdcCutPoints(value, 16 * KiB);
    expect(cdcCutPoints(value, 16 * KiB)).toEqual(ends);
    expect(ends.at(-1)).toBe(value.length);
    const sizes = ends.map((end, i) => end - (i === 0 ? 0 : ends[i - 1]!));
    expect(Math.min(...sizes.slice(0, -1))).toBeGreaterThanOrEqual(4 * KiB);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * KiB);
    const average = value.length / ends.length;
    expect(average).toBeGreaterThan(8 * KiB);
    expect(average).toBeLessThan(32 * KiB);
    expect(cdcCutPoints(new Uint8Array(0), 16 * KiB)).toEqual([]);
    expect(cdcCutPoints(new Uint8Array(100), 16 * KiB)).toEqual([100]);
    expect(() => cdcCutPoints(value, 100)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(fixedCutPoints(10, 4)).toEqual([4, 8, 10]);
  });

  it('after a small insert, a replica re-fetches at most 2 chunks; fixed chunking re-sends everything after the edit', async () => {
    const old = seededBytes(8 * 1024 * KiB, 33);
    const edited = insert(old, 3 * 1024 * KiB + 5, new TextEncoder().encode('hello'));
    const cdc = await refetch(old, edited, 'cdc');
    const fixed = await refetch(old, edited, 'fixed');
    expect(cdc.chunks).toBeGreaterThanOrEqual(1);
    expect(cdc.chunks).toBeLessThanOrEqual(2);
    expect(fixed.bytes).toBeGreaterThan(4.5 * 1024 * KiB); // every chunk after the insert shifted
    expect(fixed.bytes).toBeGreaterThan(10 * cdc.bytes);
  });

  it('three small inserts into a 28 MB value: ≤ 2 chunks each with cdc, far more bytes with fixed chunks', async () => {
    const old = seededBytes(28 * 1000 * 1000, 44);
    let edited = old;
    for (const at of [7_000_000, 14_000_000, 21_000_000]) edited = insert(edited, at, seededBytes(12, at));
    const cdc = await refetch(old, edited, 'cdc');
    const fixed = await refetch(old, edited, 'fixed');
    expect(cdc.chunks).toBeLessThanOrEqual(3 * 2);
    expect(fixed.bytes / cdc.bytes).toBeGreaterThan(15);
  });
});
