import { checkMutation } from '@statemesh/contracts';
import { MemoryBlobStore, getChunked } from '@statemesh/blob-store';
import type { BlobRef } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import type { Change } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const MiB = 1024 * 1024;

function value(seed: number): Uint8Array {
  const bytes = new Uint8Array(MiB);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + seed * 7 + (i >> 10)) & 0xff;
  return bytes;
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.from(a).equals(Buffer.from(b));

describe('large values with a blob store are not all kept in memory', () => {
  it('the writer keeps only the most recent blobs up to blobCacheBytes and reads the others back from the store', async () => {
    const store = new MemoryBlobStore();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: new ManualTime().clock(), blobStore: store, blobCacheBytes: 2 * MiB });
    const values = [0, 1, 2, 3].map(value);
    values.forEach((bytes, i) => writer.setBytes(`v${i}`, bytes));
    await writer.flushOffloads();
    // The two oldest are no longer in memory: get says so, read brings them back from the store.
    expect(writer.get('v0')).toMatchObject({ pending: false, bytes: undefined, value: undefined });
    expect(same(writer.get('v3')?.bytes, values[3]!)).toBe(true);
    const read = await writer.read('v0');
    expect(same(read?.bytes, values[0]!)).toBe(true);
    expect(read?.ref).toEqual(writer.get('v0')?.ref);
    expect(await writer.read('missing')).toBeUndefined();
    await expect(writer.read('not a path')).rejects.toMatchObject({ code: 'INVALID_PATH' });

    // A reader hydrating every value keeps the same bound; its watchers still get each value's bytes once.
    const reader = new Shard({ clusterId: 'c', nodeId: 'r', clock: new ManualTime().clock(), blobStore: store, blobCacheBytes: 2 * MiB });
    const hydrated: Change[] = [];
    reader.watch('', (changes) => hydrated.push(...changes.filter((c) => c.from === 'hydrator')));
    reader.apply(writer.drain(), 'w');
    for (const { path, ref } of reader.pendingBlobs()) reader.markHydrated(path, await getChunked(store, ref));
    expect(hydrated.map((c) => [c.path, (c.value as Uint8Array).byteLength])).toEqual(values.map((_, i) => [`v${i}`, MiB]));
    const inMemory = [0, 1, 2, 3].filter((i) => reader.get(`v${i}`)?.bytes !== undefined);
    expect(inMemory).toEqual([2, 3]);
    for (let i = 0; i < 4; i++) expect(same((await reader.read(`v${i}`))?.bytes, values[i]!)).toBe(true);
    expect(reader.digest()).toBe(writer.digest());
  });

  it('without a blob store, hydrated bytes stay (there is nowhere to read them back from)', () => {
    const reader = new Shard({ clusterId: 'c', nodeId: 'r', clock: new ManualTime().clock(), blobCacheBytes: 0 });
    const bytes = new Uint8Array([1, 2, 3]);
    const ref: BlobRef = { digest: 'a'.repeat(64), size: 3, codec: 'raw' };
    reader.apply([checkMutation({ origin: 'w', seq: 1, hlc: 1n << 20n, path: 'big', op: 'set', type: 'bytes', payload: ref })], 'w');
    expect(reader.get('big')?.pending).toBe(true);
    expect(() => reader.markHydrated('big', new Uint8Array(2))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(reader.markHydrated('big', bytes)).toBe(true);
    expect(reader.get('big')?.bytes).toEqual(bytes);
    expect(reader.markHydrated('big', bytes)).toBe(false); // not pending any more
  });
});
