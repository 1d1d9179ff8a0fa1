// Builds a snapshotted store of BENCH_ENTRIES entries (default 1 000 000) in a temp folder (PROFILE_LOG_ONLY: no
// snapshot), then opens it PROFILE_RUNS times (3); with PROFILE_OUT, the CPU profile of the opens only is written
// there (open it in Chrome's DevTools). `tsx --conditions=@statemesh/source bench/profile-restart.ts`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckedEntry } from '@statemesh/contracts';
import { FileReplicaStore } from '@statemesh/store-fs';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const ME = { clusterId: 'bench', nodeId: 'me' };
const value = new Uint8Array(100).fill(0x61);
// Made to the shape rule, as a catch-up hands entries over (checked once, by the wire): the store takes them as they are.
const entryOf = (i: number): CheckedEntry => ({ path: `scene.items.k${i}`, version: { hlc: (1_700_000_000_000n << 16n) + BigInt(i), origin: `node${i % 8}`, seq: Math.floor(i / 8) + 1 }, tombstone: false, type: 'bytes', payload: value }) as CheckedEntry;

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-store-profile-'));
try {
  const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
  await store.open(ME);
  for (let at = 0; at < ENTRIES; at += 1000) {
    const page: CheckedEntry[] = [];
    for (let i = at; i < Math.min(ENTRIES, at + 1000); i++) page.push(entryOf(i));
    store.append({ kind: 'entries', entries: page });
    if (at % 100_000 === 0) await store.commit();
  }
  if (process.env.PROFILE_LOG_ONLY === undefined) await store.snapshot();
  await store.close();
  const out = process.env.PROFILE_OUT;
  const inspector = new Session();
  if (out !== undefined) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  for (let run = 0; run < Number(process.env.PROFILE_RUNS ?? 3); run++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const again = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
    const recovered = await again.open(ME);
    const used = process.cpuUsage(cpu);
    console.log(`open + recover of ${recovered.entries.length} entries: ${Math.round(performance.now() - start)} ms, ${Math.round((used.user + used.system) / 1000)} ms CPU`);
    await again.close();
  }
  if (out !== undefined) {
    const { profile } = await inspector.post('Profiler.stop');
    await writeFile(out, JSON.stringify(profile));
    inspector.disconnect();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
