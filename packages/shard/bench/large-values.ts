// Memory held by a writer and a reader of many large values with a file blob store (issue 13, finding 5): before,
// every offloaded value's bytes stayed in the shard (64 x 16 MiB gave ~1.2 GiB resident on each). Now only the
// most recent ones up to blobCacheBytes. Prints the bytes held in ArrayBuffers beside the values' total.
// Run: node --expose-gc --conditions=@statemesh/source --import tsx bench/large-values.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileBlobStore, getChunked } from '@statemesh/blob-store';
import { Shard } from '@statemesh/shard';

const COUNT = Number(process.env.BENCH_VALUES ?? 64);
const SIZE = 16 * 1024 * 1024;
const gc = (globalThis as { gc?: () => void }).gc;
const held = (): number => {
  gc?.();
  gc?.();
  return process.memoryUsage().arrayBuffers;
};

const dir = await mkdtemp(join(tmpdir(), 'statemesh-large-'));
try {
  const store = await FileBlobStore.open(dir);
  const base = held();
  const writer = new Shard({ clusterId: 'bench', nodeId: 'w', blobStore: store });
  for (let i = 0; i < COUNT; i++) {
    const bytes = new Uint8Array(SIZE);
    for (let j = 0; j < SIZE; j += 4096) bytes[j] = (i + j) & 0xff;
    writer.setBytes(`volume.brick${i}`, bytes);
    await writer.flushOffloads(); // one at a time, as a producer paced by the store would
  }
  const writerHeld = held() - base;
  const reader = new Shard({ clusterId: 'bench', nodeId: 'r', blobStore: store });
  reader.apply(writer.drain(), 'w');
  for (const { path, ref } of reader.pendingBlobs()) reader.markHydrated(path, await getChunked(store, ref));
  const bothHeld = held() - base;
  const back = await reader.read('volume.brick0');
  if (back?.bytes?.byteLength !== SIZE) throw new Error('read lost the value');
  const total = COUNT * SIZE;
  const mib = (n: number): string => `${Math.round(n / 1024 / 1024)} MiB`;
  console.log(`${COUNT} values of 16 MiB (${mib(total)}) with a file blob store: writer holds ${mib(writerHeld)} in ArrayBuffers, writer and reader ${mib(bothHeld)} (bound: blobCacheBytes 64 MiB each); before, each kept all ${mib(total)}`);
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
