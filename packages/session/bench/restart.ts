// Restart as a user sees it (issue 15): `join({ dataDir })` of a node whose store holds BENCH_ENTRIES entries
// (default 1 000 000; 100-byte values, 8 origins, a snapshot) until it resolves, beside SQLite (better-sqlite3,
// WAL, a table of the same rows) loading them into entry objects, in the same run on the same disk; medians of
// BENCH_RUNS (3). With PROFILE_OUT=<file>, a CPU profile of the joins only is written there (Chrome DevTools).
// `npx tsx --conditions=@statemesh/source packages/session/bench/restart.ts` (BENCH_DIR: where the stores go).
import { mkdirSync, mkdtempSync, rmSync, statSync, readdirSync, writeFileSync } from 'node:fs';
import { Session as Inspector } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckedEntry, Entry } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { FileReplicaStore } from '@statemesh/store-fs';
import { join } from '../src/index.ts';

// better-sqlite3 is a dev dependency of store-fs (whose bench measures it too): taken from there.
const storeFsDir = fileURLToPath(new URL('../../store-fs/package.json', import.meta.url));
/** The part of better-sqlite3's API used here (its types live with store-fs too). */
interface SqliteStatement {
  run(...values: unknown[]): unknown;
  safeIntegers(on: boolean): SqliteStatement;
  iterate(): IterableIterator<unknown>;
}
interface SqliteDatabase {
  pragma(text: string): unknown;
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement;
  defaultSafeIntegers(on: boolean): unknown;
  transaction(fn: () => void): () => void;
  close(): unknown;
}
const Database = createRequire(storeFsDir)('better-sqlite3') as new (file: string) => SqliteDatabase;

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ME = { clusterId: 'bench', nodeId: 'me' };
const value = new Uint8Array(100).fill(0x61);
// Made to the shape rule, as a catch-up hands entries over (checked once, by the wire): the store takes them as they are.
const entryOf = (i: number): CheckedEntry => ({ path: `scene.items.k${i}`, version: { hlc: (1_700_000_000_000n << 16n) + BigInt(i), origin: `node${i % 8}`, seq: Math.floor(i / 8) + 1 }, tombstone: false, type: 'bytes', payload: value }) as CheckedEntry;

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
  for (let at = 0; at < ENTRIES; at += 1000) {
    const page: CheckedEntry[] = [];
    for (let i = at; i < Math.min(ENTRIES, at + 1000); i++) page.push(entryOf(i));
    store.append({ kind: 'entries', entries: page });
    if (at % 100_000 === 0) await store.commit();
  }
  store.append({ kind: 'vector', vector: Object.fromEntries(Array.from({ length: 8 }, (_, n) => [`node${n}`, Math.ceil(ENTRIES / 8)])) });
  await store.snapshot();
  await store.close();
}

function buildSqlite(dir: string): void {
  const db = new Database(joinPath(dir, 'replica.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE entries (path TEXT PRIMARY KEY, hlc INTEGER NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, tombstone INTEGER NOT NULL, type TEXT NOT NULL, payload BLOB)');
  const insert = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.defaultSafeIntegers(true);
  db.transaction(() => {
    for (let i = 0; i < ENTRIES; i++) {
      const e = entryOf(i);
      insert.run(e.path, e.version.hlc, e.version.origin, e.version.seq, 0, e.type, e.payload);
    }
  })();
  db.close();
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
  const db = new Database(joinPath(dir, 'replica.db'));
  db.pragma('journal_mode = WAL');
  const select = db.prepare('SELECT path, hlc, origin, seq, tombstone, type, payload FROM entries');
  select.safeIntegers(true);
  const entries: Entry[] = [];
  for (const row of select.iterate() as Iterable<{ path: string; hlc: bigint; origin: string; seq: bigint; tombstone: bigint; type: string; payload: Uint8Array }>) {
    entries.push({ path: row.path, version: { hlc: row.hlc, origin: row.origin, seq: Number(row.seq) }, tombstone: row.tombstone !== 0n, type: row.type, payload: row.payload });
  }
  const elapsed = performance.now() - start;
  cpu.push(cpuMs(from));
  db.close();
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
  buildSqlite(sqliteDir);
  console.log(`load average: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} cores`);
  console.log(`restart of ${ENTRIES} entries (100-byte values), ${RUNS} runs, in ${root}`);
  const out = process.env.PROFILE_OUT;
  const inspector = new Inspector();
  if (out !== undefined) {
    inspector.connect();
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
  }
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
  if (out !== undefined) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(out, JSON.stringify(profile));
    inspector.disconnect();
  } else {
    console.log(`join({ dataDir }) until it resolves: ${ms(median(wall.ours))} (${ms(median(cpu.ours))} CPU); SQLite (WAL) loading the same rows: ${ms(median(wall.sqlite))} (${ms(median(cpu.sqlite))} CPU); ratio ${(median(wall.ours) / median(wall.sqlite)).toFixed(2)} wall, ${(median(cpu.ours) / median(cpu.sqlite)).toFixed(2)} CPU`);
    console.log(`CPU of the parts alone: store open ${ms(median(parts.open))}; the shard taking the entries in: Shard.load ${ms(median(parts.load))}, applyEntries + completeCatchUp ${ms(median(parts.apply))} (ratio ${(median(parts.load) / median(parts.apply)).toFixed(2)}); the floor, the same paths into an empty Map: ${ms(median(parts.map))} (load / floor ${(median(parts.load) / median(parts.map)).toFixed(2)})`);
    console.log(`disk bytes per entry: store ${(bytesUnder(joinPath(dataDir, 'replica')) / ENTRIES).toFixed(1)}, SQLite ${(bytesUnder(sqliteDir) / ENTRIES).toFixed(1)}`);
  }
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
