// store-fs beside its floors and SQLite, measured in the same run, on the same disk. `pnpm bench` in this package.
// Rounds interleave the cases (a busy machine slows ours and the peer alike); each figure is the median of the
// rounds. Environment: BENCH_RUNS (rounds, default 5), BENCH_WRITES (batched writes, 200 000), BENCH_SYNC_WRITES
// (sync writes, 2 000), BENCH_ENTRIES (restart size, 1 000 000), BENCH_DIR (where, default the OS temp folder).
import { close, fdatasync, mkdirSync, open, write } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Durability } from '@statemesh/contracts';
import { FileReplicaStore } from '@statemesh/store-fs';
import { benchMutation, fillStore } from './bench-replica.ts';
import { buildSqlite as writeSqlite, loadSqlite } from './sqlite-replica.ts';

const ROUNDS = Number(process.env.BENCH_RUNS ?? 5);
const WRITES = Number(process.env.BENCH_WRITES ?? 200_000);
const SYNC_WRITES = Number(process.env.BENCH_SYNC_WRITES ?? 2_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const PER_TICK = 1000;
const ME = { clusterId: 'bench', nodeId: 'me' };
const root = await mkdtemp(join(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-store-bench-'));
let dirs = 0;
const freshDir = (): string => join(root, `d${dirs++}`);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** CPU milliseconds (user + system, every thread of the process) spent since `from`. */
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};
/** CPU microseconds per write of each `ours` run, by durability. */
const writeCpuUs: Record<Durability, number[]> = { none: [], batched: [], sync: [] };

/** Durable writes/s through a FileReplicaStore: one record per write, PER_TICK writes a tick, every commit awaited. */
async function ours(durability: Durability, writes: number): Promise<number> {
  const store = new FileReplicaStore({ dir: freshDir(), durability, snapshotAfterBytes: 0 });
  await store.open(ME);
  const perTick = durability === 'sync' ? 1 : PER_TICK;
  const commits: Promise<void>[] = [];
  const cpuFrom = process.cpuUsage();
  const start = performance.now();
  for (let seq = 1; seq <= writes; seq++) {
    store.append({ kind: 'local', mutations: [benchMutation(seq)] });
    if (seq % perTick === 0) {
      commits.push(store.commit());
      await tick();
    }
  }
  commits.push(store.commit());
  await Promise.all(commits);
  const elapsed = performance.now() - start;
  writeCpuUs[durability].push(cpuMs(cpuFrom) * 1000 / writes);
  await store.close();
  return writes / (elapsed / 1000);
}

/**
 * The floor: the same bytes per write (a pre-made record of our size) appended to a plain file. `tick`: each
 * tick's bytes in one write + one fdatasync, awaited before the next tick (the brief's floor). `group`: the same
 * group commit as ours with no CPU spent per write (one write + fdatasync for everything queued while the previous
 * one was on disk): the most the disk allows. `record`: one write + fdatasync per record.
 */
async function floor(writes: number, recordBytes: number, mode: 'tick' | 'group' | 'record'): Promise<number> {
  const dir = freshDir();
  await mkdir(dir);
  const fd = await new Promise<number>((resolve, reject) => open(join(dir, 'floor.log'), 'a', (e, f) => (e ? reject(e) : resolve(f))));
  const record = new Uint8Array(recordBytes).fill(0x62);
  const flush = async (chunks: Uint8Array[]): Promise<void> => {
    const bytes = Buffer.concat(chunks);
    await new Promise<void>((resolve, reject) => write(fd, bytes, 0, bytes.length, null, (e) => (e ? reject(e) : resolve())));
    await new Promise<void>((resolve, reject) => fdatasync(fd, (e) => (e ? reject(e) : resolve())));
  };
  let pending: Uint8Array[] = [];
  let flushing: Promise<void> | undefined;
  const flushAll = async (): Promise<void> => {
    while (pending.length > 0) await flush(mode === 'record' ? pending.splice(0, 1) : pending.splice(0));
  };
  const kick = (): Promise<void> => (flushing ??= flushAll().finally(() => (flushing = undefined)));
  const perTick = mode === 'record' ? 1 : PER_TICK;
  const start = performance.now();
  for (let n = 1; n <= writes; n++) {
    pending.push(record.slice());
    if (n % perTick === 0) {
      if (mode === 'tick') await flush(pending.splice(0));
      else void kick();
      await tick();
    }
  }
  if (mode === 'tick' && pending.length > 0) await flush(pending.splice(0));
  while (pending.length > 0 || flushing !== undefined) await kick();
  const elapsed = performance.now() - start;
  pending = [];
  await new Promise<void>((resolve) => close(fd, () => resolve()));
  return writes / (elapsed / 1000);
}

/** Bytes one write takes in our log (header + kind + wire body). */
async function recordBytes(): Promise<number> {
  const store = new FileReplicaStore({ dir: freshDir() });
  await store.open(ME);
  const before = store.stats().logBytes;
  store.append({ kind: 'local', mutations: [benchMutation(1)] });
  await store.commit();
  const size = store.stats().logBytes - before;
  await store.close();
  return size;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) total += (await stat(join(dir, name))).size;
  return total;
}

/** A store of ENTRIES entries, snapshotted (how a node that ran a while restarts), and one left as a log only. */
async function buildOurs(snapshot: boolean): Promise<string> {
  const dir = freshDir();
  const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
  await store.open(ME);
  await fillStore(store, ENTRIES);
  if (snapshot) await store.snapshot();
  await store.close();
  return dir;
}

function buildSqlite(): string {
  const dir = freshDir();
  mkdirSync(dir);
  writeSqlite(join(dir, 'replica.db'), ENTRIES);
  return dir;
}

const cpu = { snapshot: [] as number[], log: [] as number[], sqlite: [] as number[] };

async function restartOurs(dir: string, into: number[]): Promise<number> {
  const cpuFrom = process.cpuUsage();
  const start = performance.now();
  const store = new FileReplicaStore({ dir, snapshotAfterBytes: 0 });
  const recovered = await store.open(ME);
  const elapsed = performance.now() - start;
  into.push(cpuMs(cpuFrom));
  if (recovered.entries.length !== ENTRIES) throw new Error(`recovered ${recovered.entries.length} entries, not ${ENTRIES}`);
  await store.close();
  return elapsed;
}

function restartSqlite(dir: string): number {
  const cpuFrom = process.cpuUsage();
  const start = performance.now();
  const entries = loadSqlite(join(dir, 'replica.db'));
  const elapsed = performance.now() - start;
  cpu.sqlite.push(cpuMs(cpuFrom));
  if (entries.length !== ENTRIES) throw new Error(`sqlite loaded ${entries.length} rows`);
  return elapsed;
}

const size = await recordBytes();
console.log(`load average: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
console.log(`store-fs bench: ${ROUNDS} rounds, ${WRITES} batched writes (${PER_TICK} a tick), ${SYNC_WRITES} sync writes, ${size}-byte records (100-byte values), restart of ${ENTRIES} entries; in ${root}`);
const figures = { batched: [] as number[], tickFloor: [] as number[], groupFloor: [] as number[], sync: [] as number[], syncFloor: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  figures.batched.push(await ours('batched', WRITES));
  figures.tickFloor.push(await floor(WRITES, size, 'tick'));
  figures.groupFloor.push(await floor(WRITES, size, 'group'));
  figures.sync.push(await ours('sync', SYNC_WRITES));
  figures.syncFloor.push(await floor(SYNC_WRITES, size, 'record'));
  for (let d = 0; d < dirs; d++) await rm(join(root, `d${d}`), { recursive: true, force: true });
}
// The paired ratio (median over rounds of ours / floor in that round) is steadier than the ratio of medians when
// other work shares the machine.
const paired = (a: number[], b: number[]): number => median(a.map((x, i) => x / b[i]!));
const row = (name: string, a: number[], b: number[], peer: string): void =>
  console.log(
    `${name.padEnd(26)} ${Math.round(median(a)).toLocaleString('en').padStart(10)} /s   ${peer.padEnd(26)} ${Math.round(median(b)).toLocaleString('en').padStart(10)} /s   ratio ${(median(a) / median(b)).toFixed(2)}, paired ${paired(a, b).toFixed(2)}`,
  );
row('durable writes, batched', figures.batched, figures.tickFloor, 'append + fdatasync a tick');
row('durable writes, batched', figures.batched, figures.groupFloor, 'zero-CPU group commit');
row('durable writes, sync', figures.sync, figures.syncFloor, 'append + fdatasync each');
console.log(`CPU per durable write (all threads): batched ${median(writeCpuUs.batched).toFixed(2)} us, sync ${median(writeCpuUs.sync).toFixed(2)} us`);

const snapDir = await buildOurs(true);
const logDir = await buildOurs(false);
const sqliteDir = buildSqlite();
const restart = { snapshot: [] as number[], log: [] as number[], sqlite: [] as number[] };
console.log(`load average before the restart rounds: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
for (let round = 0; round < ROUNDS; round++) {
  restart.snapshot.push(await restartOurs(snapDir, cpu.snapshot));
  restart.log.push(await restartOurs(logDir, cpu.log));
  restart.sqlite.push(restartSqlite(sqliteDir));
}
const ms = (x: number): string => `${Math.round(x)} ms`.padStart(9);
console.log(`restart of ${ENTRIES.toLocaleString('en')} entries (open + recover, median):`);
console.log(`  store-fs from a snapshot ${ms(median(restart.snapshot))}   from the log alone ${ms(median(restart.log))}   SQLite (WAL) loading the same rows ${ms(median(restart.sqlite))}   ratio (snapshot / SQLite) ${(median(restart.snapshot) / median(restart.sqlite)).toFixed(2)}`);
console.log(`  CPU time (all threads): store-fs from a snapshot ${ms(median(cpu.snapshot))}   from the log alone ${ms(median(cpu.log))}   SQLite ${ms(median(cpu.sqlite))}   ratio ${(median(cpu.snapshot) / median(cpu.sqlite)).toFixed(2)}`);
const perEntry = async (dir: string): Promise<string> => ((await dirBytes(dir)) / ENTRIES).toFixed(1);
console.log(`disk bytes per entry (100-byte values): store-fs snapshot ${await perEntry(snapDir)}, store-fs log ${await perEntry(logDir)}, SQLite ${await perEntry(sqliteDir)}`);
await rm(root, { recursive: true, force: true });
