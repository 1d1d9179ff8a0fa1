import { describe, expect, it } from 'vitest';
import { CodecRegistry, isStatemeshError, type BlobRef, type ErrorCode } from '@statemesh/contracts';
import { FileBlobStore, Hydrator, MemoryBlobStore, getChunked, loadManifest, missingChunks, putChunked } from '@statemesh/blob-store';
import { FakeChunkSource } from './fake-chunk-source.ts';
import { seededBytes } from './seeded-bytes.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const KiB = 1024;

/** A peer's store holding one 10-chunk value (4 KiB chunks), and its ref. */
async function origin(length = 40 * KiB): Promise<{ holds: MemoryBlobStore; value: Uint8Array; ref: BlobRef }> {
  const holds = new MemoryBlobStore();
  const value = seededBytes(length, length);
  return { holds, value, ref: await putChunked(holds, value, { chunkSize: 4 * KiB }) };
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(b);

describe('Hydrator', () => {
  it('fetches the manifest and chunks, stores them, resolves wait() with the value and reports ready', async () => {
    const { holds, value, ref } = await origin();
    const store = new MemoryBlobStore();
    const source = new FakeChunkSource(holds, { a: 'honest' });
    const hydrator = new Hydrator({ store, source });
    hydrator.request('scene.volume', ref);
    expect(hydrator.state('scene.volume')).toBe('pending');
    expect(hydrator.pendingCount).toBe(1);
    expect(same(await hydrator.wait('scene.volume', 5000), value)).toBe(true);
    expect(hydrator.state('scene.volume')).toBe('ready');
    expect(hydrator.pendingCount).toBe(0);
    expect(await missingChunks(store, ref)).toEqual([]);
    expect(source.fetched()).toHaveLength(11); // manifest + 10 chunks, each once
    expect(hydrator.stats()).toMatchObject({ chunksFetched: 11, lyingPeers: 0, failures: 0 });
    expect(same(await hydrator.wait('scene.volume'), value)).toBe(true); // later waits read the store
    hydrator.close();
  });

  it('calls onHydrated after its state is consistent, never mid-update', async () => {
    const { holds, ref } = await origin();
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source: new FakeChunkSource(holds, { a: 'honest' }) });
    const seen: Array<{ key: string; digest: string; state: string | undefined; pending: number }> = [];
    const off = hydrator.onHydrated((key, r) => seen.push({ key, digest: r.digest, state: hydrator.state(key), pending: hydrator.pendingCount }));
    hydrator.request('a.b', ref);
    const waited = hydrator.wait('a.b');
    expect(seen).toEqual([]);
    await waited;
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([{ key: 'a.b', digest: ref.digest, state: 'ready', pending: 0 }]);
    off();
    hydrator.request('a.c', ref);
    await hydrator.wait('a.c');
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(1);
    hydrator.close();
  });

  it('drops a lying peer’s bytes, reports it once per answer, and gets the chunk from the next peer', async () => {
    const { holds, value, ref } = await origin(8 * KiB);
    const store = new MemoryBlobStore();
    const lines: string[] = [];
    const source = new FakeChunkSource(holds, { liar: 'liar', good: 'honest' });
    const hydrator = new Hydrator({ store, source, log: (line) => lines.push(line) });
    hydrator.request('x', ref);
    expect(same(await hydrator.wait('x'), value)).toBe(true);
    expect(hydrator.stats().lyingPeers).toBe(3); // the manifest and two chunks
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^@statemesh\/blob-store: peer liar answered blob [0-9a-f]{64} with bytes that hash to/);
    expect(await store.size()).toBe(3); // nothing the liar sent was stored
    hydrator.close();
  });

  it('fails with CHUNK_DIGEST_MISMATCH when every peer lies, CHUNK_NOT_FOUND when none has it, NO_PEERS when none is up', async () => {
    const { holds, ref } = await origin(8 * KiB);
    const cases: Array<{ peers: Record<string, 'liar' | 'empty'>; code: ErrorCode }> = [
      { peers: { l1: 'liar', l2: 'liar' }, code: 'CHUNK_DIGEST_MISMATCH' },
      { peers: { e1: 'empty', l1: 'liar' }, code: 'CHUNK_NOT_FOUND' },
      { peers: {}, code: 'NO_PEERS' },
    ];
    for (const { peers, code } of cases) {
      const source = new FakeChunkSource(holds, peers);
      const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, log: () => undefined });
      hydrator.request('x', ref);
      const error = await hydrator.wait('x').catch((e: unknown) => e);
      expect(isStatemeshError(error, code)).toBe(true);
      expect((error as Error).message).toMatch(/^@statemesh\/blob-store: /);
      expect(hydrator.state('x')).toBe('failed');
      expect(hydrator.stats().failures).toBe(1);
      await expect(hydrator.wait('x')).rejects.toBe(error);
      hydrator.close();
    }
  });

  it('skips a peer that has nothing and one that is too slow, within the fetch timeout', async () => {
    const { holds, value, ref } = await origin(8 * KiB);
    const source = new FakeChunkSource(holds, { slow: 'slow', empty: 'empty', good: 'honest' });
    source.peerMap.set('gone', { behaviour: 'honest', state: 'dead' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, timeoutMs: 30 });
    hydrator.request('x', ref);
    expect(same(await hydrator.wait('x'), value)).toBe(true);
    expect(source.fetched('good')).toHaveLength(3);
    expect(source.fetched('gone')).toEqual([]); // only up peers are asked
    expect(source.fetches.filter((f) => f.peer === 'slow').every((f) => f.signal?.aborted === true)).toBe(true);
    hydrator.close();
  });

  it('rejects wait() with TIMEOUT while the hydration goes on; cancel aborts the fetch and forgets the key', async () => {
    const { holds, ref } = await origin(8 * KiB);
    const source = new FakeChunkSource(holds, { slow: 'slow' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, timeoutMs: 60_000 });
    hydrator.request('x', ref);
    const error = await hydrator.wait('x', 20).catch((e: unknown) => e);
    expect(isStatemeshError(error, 'TIMEOUT')).toBe(true);
    expect(hydrator.state('x')).toBe('pending');
    const later = hydrator.wait('x');
    hydrator.cancel('x');
    await expect(later).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(hydrator.state('x')).toBeUndefined();
    expect(hydrator.pendingCount).toBe(0);
    expect(source.fetches[0]!.signal?.aborted).toBe(true);
    await expect(hydrator.wait('x')).rejects.toMatchObject({ code: 'BLOB_NOT_FOUND' });
    hydrator.close();
  });

  it('resumes after a partial fetch: retry() fetches only what is still missing', async () => {
    const { holds, value, ref } = await origin();
    const manifest = await loadManifest(holds, ref);
    const store = new MemoryBlobStore();
    const source = new FakeChunkSource(holds, { a: 'honest' });
    source.servable = new Set([ref.digest, ...manifest.chunks.slice(0, 4).map((c) => c.digest)]);
    const hydrator = new Hydrator({ store, source });
    hydrator.request('x', ref);
    await expect(hydrator.wait('x')).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND' });
    expect(hydrator.state('x')).toBe('failed');
    const stillMissing = await missingChunks(store, ref);
    // The six chunks no peer had are missing; of the four it had, a fetch cut short by the failure may be too.
    expect(stillMissing).toEqual(expect.arrayContaining(manifest.chunks.slice(4).map((c) => c.digest)));
    expect(stillMissing.length).toBeLessThan(10);
    source.servable = undefined; // the peer now has everything
    source.fetches.length = 0;
    hydrator.retry('x');
    expect(hydrator.state('x')).toBe('pending');
    expect(same(await hydrator.wait('x'), value)).toBe(true);
    expect(source.fetched().sort()).toEqual([...stillMissing].sort());
    hydrator.close();
  });

  it('resumes across a restart: a new hydrator over the reopened file store fetches only what is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statemesh-hydrator-'));
    try {
      const { holds, value, ref } = await origin();
      const manifest = await loadManifest(holds, ref);
      const source = new FakeChunkSource(holds, { a: 'honest' });
      source.servable = new Set([ref.digest, ...manifest.chunks.slice(0, 7).map((c) => c.digest)]);
      const first = await FileBlobStore.open(dir);
      const before = new Hydrator({ store: first, source });
      before.request('x', ref);
      await expect(before.wait('x')).rejects.toMatchObject({ code: 'CHUNK_NOT_FOUND' });
      before.close();
      await first.close();

      const store = await FileBlobStore.open(dir);
      const stillMissing = await missingChunks(store, ref);
      expect(stillMissing).toEqual(expect.arrayContaining(manifest.chunks.slice(7).map((c) => c.digest)));
      expect(stillMissing.length).toBeLessThan(10);
      source.servable = undefined;
      source.fetches.length = 0;
      const after = new Hydrator({ store, source });
      after.request('x', ref);
      expect(same(await after.wait('x'), value)).toBe(true);
      expect(source.fetched().sort()).toEqual([...stillMissing].sort());
      after.close();
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('joins a repeated request, and a new ref under the same key hands its waiters the new value', async () => {
    const first = await origin(8 * KiB);
    const second = await origin(12 * KiB);
    const holds = new MemoryBlobStore();
    for (const { value } of [first, second]) await putChunked(holds, value, { chunkSize: 4 * KiB });
    const source = new FakeChunkSource(holds, { slow: 'slow', a: 'honest' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, timeoutMs: 20 });
    hydrator.request('k', first.ref);
    hydrator.request('k', first.ref);
    const waiting = hydrator.wait('k');
    hydrator.request('k', second.ref);
    expect(hydrator.pendingCount).toBe(1);
    expect(same(await waiting, second.value)).toBe(true);
    expect(hydrator.state('k')).toBe('ready');
    hydrator.close();
  });

  it('decodes compressed chunks through the registry and refuses a value past maxDecodedBytes before fetching chunks', async () => {
    const holds = new MemoryBlobStore();
    const value = new Uint8Array(20 * KiB).fill(3);
    const ref = await putChunked(holds, value, { chunkSize: 4 * KiB, codec: 'rle' });
    const registry = CodecRegistry.withBuiltins();
    const source = new FakeChunkSource(holds, { a: 'honest' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, registry });
    hydrator.request('v', ref);
    expect(same(await hydrator.wait('v'), value)).toBe(true);
    const small = new Hydrator({ store: new MemoryBlobStore(), source, maxDecodedBytes: 10 * KiB });
    source.fetches.length = 0;
    small.request('v', ref);
    await expect(small.wait('v')).rejects.toMatchObject({ code: 'DECODED_TOO_LARGE' });
    expect(source.fetched()).toEqual([ref.digest]);
    hydrator.close();
    small.close();
  });

  it('re-fetches a chunk found corrupt on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'statemesh-hydrator-'));
    try {
      const { holds, value, ref } = await origin(8 * KiB);
      const store = await FileBlobStore.open(dir);
      const source = new FakeChunkSource(holds, { a: 'honest' });
      const hydrator = new Hydrator({ store, source });
      hydrator.request('x', ref);
      await hydrator.wait('x');
      const chunk = (await loadManifest(store, ref)).chunks[1]!.digest;
      await writeFile(store.pathOf(chunk), 'bit rot');
      await expect(getChunked(store, ref)).rejects.toMatchObject({ code: 'CHUNK_DIGEST_MISMATCH' });
      source.fetches.length = 0;
      hydrator.request('y', ref);
      expect(same(await hydrator.wait('y'), value)).toBe(true);
      expect(source.fetched()).toEqual([chunk]);
      hydrator.close();
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('validates its arguments, and after close() rejects waiters with CLOSED and leaves no timer behind', async () => {
    const { holds, ref } = await origin(8 * KiB);
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source: new FakeChunkSource(holds, { slow: 'slow' }), timeoutMs: 60_000 });
    expect(() => hydrator.request('bad path!', ref)).toThrow(expect.objectContaining({ code: 'INVALID_PATH' }));
    expect(() => hydrator.request('x', { ...ref, digest: 'x' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    hydrator.request('x', ref);
    const waiting = hydrator.wait('x', 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(timers()).toBeGreaterThan(before);
    hydrator.close();
    hydrator.close();
    await expect(waiting).rejects.toMatchObject({ code: 'CLOSED' });
    await new Promise((resolve) => setImmediate(resolve)); // the aborted fetch unwinds in microtasks
    expect(timers()).toBe(before);
    expect(() => hydrator.request('x', ref)).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await expect(hydrator.wait('x')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => new Hydrator({ store: new MemoryBlobStore(), source: new FakeChunkSource(holds, {}), timeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('logs and counts a listener that throws, and still calls the others', async () => {
    const { holds, ref } = await origin(8 * KiB);
    const lines: string[] = [];
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source: new FakeChunkSource(holds, { a: 'honest' }), log: (l) => lines.push(l) });
    const called: string[] = [];
    hydrator.onHydrated(() => {
      throw new Error('boom');
    });
    hydrator.onHydrated((key) => called.push(key));
    hydrator.request('x', ref);
    await hydrator.wait('x');
    await new Promise((resolve) => setImmediate(resolve));
    expect(called).toEqual(['x']);
    expect(hydrator.stats().listenerErrors).toBe(1);
    expect(lines).toEqual(['@statemesh/blob-store: an onHydrated listener threw for "x": boom']);
    hydrator.close();
  });
});
