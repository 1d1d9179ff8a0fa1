import { MemoryBlobStore, getChunked } from '@statemesh/blob-store';
import { isBlobRef } from '@statemesh/contracts';
import type { BlobRef, BlobStore } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

function same(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function mebibyte(): Uint8Array {
  const bytes = new Uint8Array(1024 * 1024);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 10)) & 0xff;
  return bytes;
}

describe('offload of large values', () => {
  it('stores a 1 MiB value as a chunked blob and replicates its reference; the receiver is pending until hydrated', async () => {
    const time = new ManualTime();
    const store = new MemoryBlobStore();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: time.clock(), blobStore: store });
    const value = mebibyte();
    const version = writer.setBytes('volume.brick0', value, 'volume/u8');
    writer.set('after', 1);
    expect(same(writer.get('volume.brick0')?.bytes, value)).toBe(true); // readable at once on the writer
    expect(writer.drain()).toEqual([]); // not published before the blob is stored, nor anything after it
    await writer.flushOffloads();
    const batch = writer.drain();
    expect(batch.map((m) => m.seq)).toEqual([1, 2]);
    const ref = batch[0]!.payload as BlobRef;
    expect(isBlobRef(ref)).toBe(true);
    expect(ref.size).toBe(value.length);
    expect(writer.counters()['offload.stored']).toBe(1);

    const readerStore: BlobStore = store; // the session's hydrator would copy chunks from peers; here they share it
    const reader = new Shard({ clusterId: 'c', nodeId: 'r', clock: time.clock(), blobStore: readerStore });
    const seen: boolean[] = [];
    reader.watch('volume', (changes) => seen.push(...changes.map((c) => c.pending)));
    reader.apply(batch, 'w');
    expect(reader.get('volume.brick0')).toMatchObject({ pending: true, value: undefined, ref, version });
    expect(reader.pendingBlobs()).toEqual([{ path: 'volume.brick0', ref }]);
    // a snapshot carries the reference, not the bytes
    const entry = [...reader.snapshot(['volume'])].flatMap((p) => p.entries)[0]!;
    expect(entry.payload).toEqual(ref);
    expect(reader.digest()).toBe(writer.digest());

    const bytes = await getChunked(readerStore, ref);
    expect(reader.markHydrated('volume.brick0', bytes)).toBe(true);
    expect(reader.get('volume.brick0')?.pending).toBe(false);
    expect(same(reader.get('volume.brick0')?.value as Uint8Array, value)).toBe(true);
    expect(reader.pendingBlobs()).toEqual([]);
    expect(seen).toEqual([true, false]);
    expect(reader.digest()).toBe(writer.digest());
    expect(reader.markHydrated('volume.brick0')).toBe(false);
    expect(reader.markHydrated('after', new Uint8Array(1))).toBe(false); // not a blob
  });

  it('offloads large text and json too, and keeps small values inline', async () => {
    const time = new ManualTime();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: time.clock(), blobStore: new MemoryBlobStore(), maxInlinePayloadBytes: 100 });
    writer.setText('big', 'x'.repeat(200));
    writer.set('small', 'y');
    await writer.flushOffloads();
    const [big, small] = writer.drain();
    expect(isBlobRef(big!.payload)).toBe(true);
    expect(small!.payload).toBeInstanceOf(Uint8Array);
    expect(writer.get('big')?.value).toBe('x'.repeat(200));
  });

  it('sends the value inline, counted and logged, when the blob store fails', async () => {
    const failing: BlobStore = {
      put: () => Promise.reject(new Error('disk full')),
      get: () => Promise.resolve(undefined),
      has: () => Promise.resolve(false),
      delete: () => Promise.resolve(false),
      size: () => Promise.resolve(0),
      digests: async function* () {},
    };
    const lines: string[] = [];
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: new ManualTime().clock(), blobStore: failing, maxInlinePayloadBytes: 10, logger: (l) => lines.push(l) });
    writer.setBytes('x', new Uint8Array(20));
    await writer.flushOffloads();
    expect(writer.drain()[0]!.payload).toEqual(new Uint8Array(20));
    expect(writer.counters()['offload.failed']).toBe(1);
    expect(lines[0]).toMatch(/^@statemesh\/shard: could not store the value at 'x' as a blob \(.*disk full/);
  });

  it('a pending blob overwritten or deleted is no longer pending', async () => {
    const time = new ManualTime();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: time.clock(), blobStore: new MemoryBlobStore(), maxInlinePayloadBytes: 10 });
    writer.setBytes('x', new Uint8Array(20));
    writer.setBytes('y', new Uint8Array(20));
    await writer.flushOffloads();
    const reader = new Shard({ clusterId: 'c', nodeId: 'r', clock: time.clock() });
    reader.apply(writer.drain(), 'w');
    expect(reader.pendingBlobs().map((p) => p.path)).toEqual(['x', 'y']);
    writer.set('x', 1);
    writer.delete('y');
    reader.apply(writer.drain(), 'w');
    expect(reader.pendingBlobs()).toEqual([]);
    expect(reader.get('x')).toMatchObject({ pending: false, value: 1 });
    expect(reader.counters().pending).toBe(0);
  });

  it('refuses a hydration with the wrong number of bytes', async () => {
    const time = new ManualTime();
    const store = new MemoryBlobStore();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: time.clock(), blobStore: store, maxInlinePayloadBytes: 10 });
    writer.setBytes('x', new Uint8Array(20));
    await writer.flushOffloads();
    const reader = new Shard({ clusterId: 'c', nodeId: 'r', clock: time.clock() });
    reader.apply(writer.drain(), 'w');
    expect(() => reader.markHydrated('x', new Uint8Array(3))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
