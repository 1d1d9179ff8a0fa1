// BENCH_WRITES (200 000) durable writes with `batched` (1000 a tick, one record each, every commit awaited), as in
// run.ts; with PROFILE_OUT, the CPU profile of the writes is written there. `tsx --conditions=@statemesh/source bench/profile-writes.ts`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckedMutation } from '@statemesh/contracts';
import { FileReplicaStore } from '@statemesh/store-fs';

const WRITES = Number(process.env.BENCH_WRITES ?? 200_000);
const value = new Uint8Array(100).fill(0x61);
// Made to the shape rule, as a shard's drain() hands writes over (checked once, there): the store takes them as they are.
const mutation = (seq: number): CheckedMutation => ({ origin: 'me', seq, hlc: (1_700_000_000_000n << 16n) + BigInt(seq), path: `scene.items.k${seq % 10_000}`, op: 'set', type: 'bytes', payload: value }) as CheckedMutation;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const dir = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-store-profile-'));
const inspector = new Session();
const out = process.env.PROFILE_OUT;
try {
  if (out !== undefined) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
  for (let run = 0; run < Number(process.env.PROFILE_RUNS ?? 3); run++) {
    const store = new FileReplicaStore({ dir: join(dir, `r${run}`), snapshotAfterBytes: 0 });
    await store.open({ clusterId: 'bench', nodeId: 'me' });
    const commits: Promise<void>[] = [];
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let seq = 1; seq <= WRITES; seq++) {
      store.append({ kind: 'local', mutations: [mutation(seq)] });
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
  if (out !== undefined) {
    const { profile } = await inspector.post('Profiler.stop');
    await writeFile(out, JSON.stringify(profile));
    inspector.disconnect();
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
