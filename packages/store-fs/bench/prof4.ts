import { FileReplicaStore } from '@statemesh/store-fs';
import type { Entry } from '@statemesh/contracts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const value = new Uint8Array(100).fill(0x61);
const N = 200000;
const entryOf = (i: number): Entry => ({ path: `scene.items.k${i}`, version: { hlc: (1_700_000_000_000n << 16n) + BigInt(i), origin: `node${i % 8}`, seq: Math.floor(i / 8) + 1 }, tombstone: false, type: 'bytes', payload: value });
const dir = await mkdtemp(join(tmpdir(), 'prof-'));
const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
await store.open({ clusterId: 'c', nodeId: 'me' });
for (let at = 0; at < N; at += 1000) store.append({ kind: 'entries', entries: Array.from({ length: 1000 }, (_, k) => entryOf(at + k)) });
await store.snapshot();
await store.close();
for (let r = 0; r < 4; r++) {
  const t = performance.now();
  const s = new FileReplicaStore({ dir });
  const rec = await s.open({ clusterId: 'c', nodeId: 'me' });
  console.log('restart', rec.entries.length, (performance.now() - t).toFixed(0), 'ms');
  await s.close();
}
await rm(dir, { recursive: true });
