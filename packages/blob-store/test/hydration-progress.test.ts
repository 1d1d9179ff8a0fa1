import { describe, expect, it } from 'vitest';
import type { FetchChunkOptions } from '@statemesh/contracts';
import { Hydrator, MemoryBlobStore, putChunked } from '@statemesh/blob-store';
import { FakeChunkSource } from './fake-chunk-source.ts';
import { seededBytes } from './seeded-bytes.ts';

/** An honest peer that serves the manifest and the first `open` chunks at once, and the rest after `release()`. */
class GatedSource extends FakeChunkSource {
  #served = 0;
  #gate: Promise<void>;
  release!: () => void;
  constructor(holds: MemoryBlobStore, readonly open: number) {
    super(holds, { a: 'honest' });
    this.#gate = new Promise<void>((resolve) => (this.release = resolve));
  }
  override async fetchChunk(digest: string, options?: FetchChunkOptions): Promise<Uint8Array> {
    if (this.#served++ > this.open) await this.#gate; // the first fetch is the manifest
    return super.fetchChunk(digest, options);
  }
}

describe('Hydrator.progress', () => {
  it('reports the chunks of a value and how many are stored, while it is fetched and once ready', async () => {
    const holds = new MemoryBlobStore();
    const value = seededBytes(40 * 1024, 7);
    const ref = await putChunked(holds, value, { chunkSize: 4 * 1024 });
    const source = new GatedSource(holds, 3);
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source });
    expect(hydrator.progress('volume')).toBeUndefined();

    hydrator.request('volume', ref);
    const deadline = Date.now() + 5000;
    while ((hydrator.progress('volume')?.fetched ?? 0) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
    expect(hydrator.progress('volume')).toEqual({ state: 'pending', size: value.length, chunks: 10, fetched: 3 });

    source.release();
    await hydrator.wait('volume', 5000);
    expect(hydrator.progress('volume')).toEqual({ state: 'ready', size: value.length, chunks: 10, fetched: 10 });
    hydrator.close();
  });
});
