// BENCH_WRITES (200 000) durable writes with `batched` (1000 a tick, one record each, every commit awaited), as in
// run.ts; with PROFILE_OUT, the CPU profile of the writes is written there. `tsx --conditions=@statemesh/source bench/profile-writes.ts`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileReplicaStore } from '@statemesh/store-fs';
import { benchMutation } from './bench-replica.ts';
import { startCpuProfile } from './cpu-profile.ts';

const WRITES = Number(process.env.BENCH_WRITES ?? 200_000);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-store-profile-'));
try {
  const stopProfile = await startCpuProfile(process.env.PROFILE_OUT);
  for (let run = 0; run < Number(process.env.PROFILE_RUNS ?? 3); run++) {
    const store = new FileReplicaStore({ dir: join(dir, `r${run}`), snapshotAfterBytes: 0 });
    await store.open({ clusterId: 'bench', nodeId: 'me' });
    const commits: Promise<void>[] = [];
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let seq = 1; seq <= WRITES; seq++) {
      store.append({ kind: 'local', mutations: [benchMutation(seq)] });
      if (seq % 1000 === 0) {
        commits.push(store.commit());
        await tick();
      }
    }
    commits.push(store.commit());
    await Promise.all(commits);
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    console.log(`${Math.round(WRITES / (ms / 1000)).toLocaleString('en')} durable writes/s, ${((used.user + used.system) / WRITES).toFixed(2)} us CPU each`);
    await store.close();
  }
  await stopProfile();
} finally {
  await rm(dir, { recursive: true, force: true });
}
