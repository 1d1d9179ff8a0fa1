// Restart as a user sees it (issue 15): `join({ dataDir })` of a node whose store holds BENCH_ENTRIES entries
// (default 1 000 000; 100-byte values, 8 origins, a snapshot) until it resolves, beside SQLite (better-sqlite3,
// WAL, a table of the same rows) loading them into entry objects, in the same run on the same disk; medians of
// BENCH_RUNS (3). With PROFILE_OUT=<file>, a CPU profile of the joins only is written there (Chrome DevTools).
// `npx tsx --conditions=@statemesh/source packages/session/bench/restart.ts` (BENCH_DIR: where the stores go).
import { mkdirSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import type { CheckedEntry, Entry } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { FileReplicaStore } from '@statemesh/store-fs';
import { join } from '../src/index.ts';
// store-fs's bench measures the same replica and the same SQLite peer: its set-up is taken from there.
import { fillStore } from '../../store-fs/bench/bench-replica.ts';
import { startCpuProfile } from '../../store-fs/bench/cpu-profile.ts';
import { buildSqlite, loadSqlite } from '../../store-fs/bench/sqlite-replica.ts';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ME = { clusterId: 'bench', nodeId: 'me' };

const root = mkdtempSync(joinPath(process.env.BENCH_DIR ?? tmpdir(), 'statemesh-restart-'));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${Math.round(x)} ms`;
const cpuMs = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1000;
};

async function buildStore(dataDir: string): Promise<void> {
  const store = new FileReplicaStore({ dir: joinPath(dataDir, 'replica'), snapshotAfterBytes: 0 });
  await store.open(ME);
  await fillStore(store, ENTRIES);
  await store.snapshot();
  await store.close();
}

async function restartOurs(dataDir: string, cpu: number[]): Promise<number> {
  const from = process.cpuUsage();
  const start = performance.now();
  const session = await join({ ...ME, listen: joinPath(root, 'me.sock'), dataDir }, { log: () => undefined });
  const elapsed = performance.now() - start;
  cpu.push(cpuMs(from));
  const held = session.entries('scene').length; // after the clock stopped
  await session.close();
  if (held !== ENTRIES) throw new Error(`the restarted node holds ${held} entries, not ${ENTRIES}`);
  return elapsed;
}

/**
 * The parts of a restart, alone, each on entries of their own open (their strings fresh, as in a restart): the
 * store's open; the shard taking the entries in by `Shard.load`; by `applyEntries` + `completeCatchUp` (the checked
 * path, what `join()` did before); and the floor, the same paths put in an empty `Map`.
 */
async function restartParts(dataDir: string, into: { open: number[]; load: number[]; apply: number[]; map: number[] }): Promise<void> {
  const recover = async (): Promise<{ entries: readonly CheckedEntry[]; vector: Record<string, number> }> => {
    const from = process.cpuUsage();
    const store = new FileReplicaStore({ dir: joinPath(dataDir, 'replica'), snapshotAfterBytes: 0 });
    const recovered = await store.open(ME);
    into.open.push(cpuMs(from));
    await store.close();
    return recovered;
  };
  let { entries, vector } = await recover();
  let from = process.cpuUsage();
  const loaded = new Shard({ ...ME, incarnation: 'bench' });
  loaded.load(entries, vector);
  into.load.push(cpuMs(from));
  if (loaded.size !== ENTRIES) throw new Error(`the loaded shard holds ${loaded.size} entries, not ${ENTRIES}`);
  ({ entries, vector } = await recover());
  from = process.cpuUsage();
  const applied = new Shard({ ...ME, incarnation: 'bench' });
  applied.applyEntries(entries, 'disk');
  applied.completeCatchUp(vector, 'disk');
  into.apply.push(cpuMs(from));
  if (applied.size !== ENTRIES) throw new Error(`the shard applied ${applied.size} entries, not ${ENTRIES}`);
  ({ entries } = await recover());
  from = process.cpuUsage();
  const map = new Map<string, Entry>();
  for (const entry of entries) map.set(entry.path, entry);
  into.map.push(cpuMs(from));
  if (map.size !== ENTRIES) throw new Error(`the map holds ${map.size} paths`);
}

function restartSqlite(dir: string, cpu: number[]): number {
  const from = process.cpuUsage();
  const start = performance.now();
  const entries = loadSqlite(joinPath(dir, 'replica.db'));
  const elapsed = performance.now() - start;
  cpu.push(cpuMs(from));
  if (entries.length !== ENTRIES) throw new Error(`sqlite loaded ${entries.length} rows`);
  return elapsed;
}

function bytesUnder(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const stat = statSync(joinPath(dir, name));
    if (stat.isFile()) total += stat.size;
  }
  return total;
}

try {
  const dataDir = joinPath(root, 'node');
  const sqliteDir = joinPath(root, 'sqlite');
  mkdirSync(sqliteDir);
  await buildStore(dataDir);
  buildSqlite(joinPath(sqliteDir, 'replica.db'), ENTRIES);
  console.log(`load average: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log(`restart of ${ENTRIES} entries (100-byte values), ${RUNS} runs, in ${root}`);
  const out = process.env.PROFILE_OUT;
  const stopProfile = await startCpuProfile(out);
  const wall = { ours: [] as number[], sqlite: [] as number[] };
  const cpu = { ours: [] as number[], sqlite: [] as number[] };
  const parts = { open: [] as number[], load: [] as number[], apply: [] as number[], map: [] as number[] };
  for (let run = 0; run < RUNS; run++) {
    wall.ours.push(await restartOurs(dataDir, cpu.ours));
    if (out === undefined) {
      wall.sqlite.push(restartSqlite(sqliteDir, cpu.sqlite));
      await restartParts(dataDir, parts);
    }
    console.log(`  run ${run + 1}: join() ${ms(wall.ours[run]!)} (${ms(cpu.ours[run]!)} CPU)${out === undefined ? `, SQLite ${ms(wall.sqlite[run]!)} (${ms(cpu.sqlite[run]!)} CPU); CPU alone: store open ${ms(parts.open[run * 3]!)}, Shard.load ${ms(parts.load[run]!)}, applyEntries ${ms(parts.apply[run]!)}, Map.set ${ms(parts.map[run]!)}` : ''}`);
  }
  await stopProfile();
  if (out === undefined) {
    console.log(`join({ dataDir }) until it resolves: ${ms(median(wall.ours))} (${ms(median(cpu.ours))} CPU); SQLite (WAL) loading the same rows: ${ms(median(wall.sqlite))} (${ms(median(cpu.sqlite))} CPU); ratio ${(median(wall.ours) / median(wall.sqlite)).toFixed(2)} wall, ${(median(cpu.ours) / median(cpu.sqlite)).toFixed(2)} CPU`);
    console.log(`CPU of the parts alone: store open ${ms(median(parts.open))}; the shard taking the entries in: Shard.load ${ms(median(parts.load))}, applyEntries + completeCatchUp ${ms(median(parts.apply))} (ratio ${(median(parts.load) / median(parts.apply)).toFixed(2)}); the floor, the same paths into an empty Map: ${ms(median(parts.map))} (load / floor ${(median(parts.load) / median(parts.map)).toFixed(2)})`);
    console.log(`disk bytes per entry: store ${(bytesUnder(joinPath(dataDir, 'replica')) / ENTRIES).toFixed(1)}, SQLite ${(bytesUnder(sqliteDir) / ENTRIES).toFixed(1)}`);
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
