import { MemoryBlobStore } from '@statemesh/blob-store';
import { isBlobRef, type BlobStore } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

/** A blob store whose writes wait until `release()`: a large value stays "being stored" as long as we like. */
class StalledStore extends MemoryBlobStore {
  #released = false;
  #waiting: Array<() => void> = [];
  override async put(bytes: Uint8Array): Promise<string> {
    if (!this.#released) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    return super.put(bytes);
  }
  release(): void {
    this.#released = true;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}

describe('a catch-up while a large value is still being stored', () => {
  it('leaves the value out and does not claim it, so the peer still takes the blob reference when it comes', async () => {
    const time = new ManualTime();
    const store = new StalledStore();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: time.clock(), blobStore: store as BlobStore, maxInlinePayloadBytes: 1024 });
    const peer = new Shard({ clusterId: 'c', nodeId: 'p', clock: time.clock(), blobStore: new MemoryBlobStore(), maxInlinePayloadBytes: 1024 });
    writer.set('before', 1);
    writer.setBytes('volume', new Uint8Array(50_000).fill(3), 'volume/u8');
    writer.set('after', 2);

    // The peer catches up from the writer before the blob is stored.
    for (const page of writer.since({}, {})) peer.applyPage(page, 'w');
    expect(peer.get('volume')).toBeUndefined();
    expect(peer.get('before')?.value).toBe(1);
    expect(peer.vector()['w'] ?? 0).toBeLessThan(2);

    // Once stored, the write leaves as a blob reference, and the peer takes it.
    store.release();
    await writer.flushOffloads();
    peer.apply(writer.drain(), 'w');
    expect(isBlobRef(peer.get('volume')?.ref)).toBe(true);
    expect(peer.get('volume')?.ref).toEqual(writer.get('volume')?.ref);
    expect(peer.vector()['w']).toBe(3);
  });
});
