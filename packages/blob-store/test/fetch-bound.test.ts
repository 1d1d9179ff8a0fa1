// The bound on chunk fetches in flight across all hydrations of one hydrator (issue 13, finding 5).
import { describe, expect, it } from 'vitest';
import { isStatemeshError, type BlobRef, type FetchChunkOptions } from '@statemesh/contracts';
import { Hydrator, MemoryBlobStore, putChunked } from '@statemesh/blob-store';
import { FakeChunkSource } from './fake-chunk-source.ts';
import { seededBytes } from './seeded-bytes.ts';

/** An honest peer that answers each request on a later timer turn and records the most requests it held at once. */
class CountingSource extends FakeChunkSource {
  inFlight = 0;
  peak = 0;
  override async fetchChunk(digest: string, options?: FetchChunkOptions): Promise<Uint8Array> {
    this.inFlight++;
    this.peak = Math.max(this.peak, this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return await super.fetchChunk(digest, options);
    } finally {
      this.inFlight--;
    }
  }
}

async function values(count: number): Promise<{ holds: MemoryBlobStore; refs: BlobRef[] }> {
  const holds = new MemoryBlobStore();
  const refs: BlobRef[] = [];
  for (let i = 0; i < count; i++) refs.push(await putChunked(holds, seededBytes(40 * 1024, i + 1), { chunkSize: 4 * 1024 }));
  return { holds, refs };
}

describe('Hydrator fetch bound', () => {
  it('keeps at most maxFetchesInFlight chunk requests in flight across many hydrations, and hydrates them all', async () => {
    const { holds, refs } = await values(12); // 12 values × 4 fetches each would be 48 at once without the bound
    const source = new CountingSource(holds, { a: 'honest' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, maxFetchesInFlight: 5 });
    refs.forEach((ref, i) => hydrator.request(`v.k${i}`, ref));
    await Promise.all(refs.map((_, i) => hydrator.wait(`v.k${i}`, 10_000)));
    expect(source.peak).toBeLessThanOrEqual(5);
    expect(source.peak).toBeGreaterThan(1); // fetches still overlap
    expect(hydrator.fetchesInFlight).toBe(0);
    expect(hydrator.stats().failures).toBe(0);
    hydrator.close();
  });

  it('frees the slots of cancelled hydrations, so later ones proceed', async () => {
    const { holds, refs } = await values(3);
    const source = new FakeChunkSource(holds, { slow: 'slow' });
    const hydrator = new Hydrator({ store: new MemoryBlobStore(), source, maxFetchesInFlight: 2 });
    hydrator.request('v.a', refs[0]!);
    hydrator.request('v.b', refs[1]!);
    const a = hydrator.wait('v.a').catch((error: unknown) => error);
    const b = hydrator.wait('v.b').catch((error: unknown) => error);
    hydrator.cancel('v.a');
    hydrator.cancel('v.b');
    expect(isStatemeshError(await a, 'CANCELLED')).toBe(true);
    expect(isStatemeshError(await b, 'CANCELLED')).toBe(true);
    source.peerMap.set('slow', { behaviour: 'honest', state: 'up' });
    hydrator.request('v.c', refs[2]!);
    await hydrator.wait('v.c', 5000);
    expect(hydrator.fetchesInFlight).toBe(0);
    hydrator.close();
  });

  it('refuses a bound that is not a positive integer', () => {
    const holds = new MemoryBlobStore();
    expect(() => new Hydrator({ store: holds, source: new FakeChunkSource(holds, {}), maxFetchesInFlight: 0 })).toThrow(/maxFetchesInFlight/);
  });
});
