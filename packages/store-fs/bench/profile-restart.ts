// Builds a snapshotted store of BENCH_ENTRIES entries (default 1 000 000) in a temp folder (PROFILE_LOG_ONLY: no
// snapshot), then opens it PROFILE_RUNS times (3); with PROFILE_OUT, the CPU profile of the opens only is written
// there (open it in Chrome's DevTools). `tsx --conditions=@statemesh/source bench/profile-restart.ts`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReplicaStore } from '@statemesh/store-fs';
import { fillStore } from './bench-replica.ts';
import { startCpuProfile } from './cpu-profile.ts';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const ME = { clusterId: 'bench', nodeId: 'me' };

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-store-profile-'));
try {
  const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
  await store.open(ME);
  await fillStore(store, ENTRIES);
  if (process.env.PROFILE_LOG_ONLY === undefined) await store.snapshot();
  await store.close();
  const stopProfile = await startCpuProfile(process.env.PROFILE_OUT);
  for (let run = 0; run < Number(process.env.PROFILE_RUNS ?? 3); run++) {
    const cpu = process.cpuUsage();
    const start = performance.now();
    const again = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
    const recovered = await again.open(ME);
    const used = process.cpuUsage(cpu);
    console.log(`open + recover of ${recovered.entries.length} entries: ${Math.round(performance.now() - start)} ms, ${Math.round((used.user + used.system) / 1000)} ms CPU`);
    await again.close();
  }
  await stopProfile();
} finally {
  await rm(dir, { recursive: true, force: true });
}
