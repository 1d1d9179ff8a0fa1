// The peer of a restart: SQLite (better-sqlite3, WAL) holding the same rows as a store of `bench-replica.ts`,
// loaded back into entry objects. Shared by run.ts and packages/session/bench/restart.ts (better-sqlite3 is a dev
// dependency of this package only: it is resolved from here).
import Database from 'better-sqlite3';
import type { Entry } from '@statemesh/contracts';
import { benchEntry } from './bench-replica.ts';

/** Writes entries 0 to `count - 1` of `bench-replica.ts` into a new database at `file`, one transaction. */
export function buildSqlite(file: string, count: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE entries (path TEXT PRIMARY KEY, hlc INTEGER NOT NULL, origin TEXT NOT NULL, seq INTEGER NOT NULL, tombstone INTEGER NOT NULL, type TEXT NOT NULL, payload BLOB)');
  const insert = db.prepare('INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?)');
  db.defaultSafeIntegers(true);
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const e = benchEntry(i);
      insert.run(e.path, e.version.hlc, e.version.origin, e.version.seq, 0, e.type, e.payload);
    }
  })();
  db.close();
}

/** Every row of the database at `file`, as entries: what a restart from SQLite does. */
export function loadSqlite(file: string): Entry[] {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const select = db.prepare('SELECT path, hlc, origin, seq, tombstone, type, payload FROM entries');
  select.safeIntegers(true);
  const entries: Entry[] = [];
  for (const row of select.iterate() as Iterable<{ path: string; hlc: bigint; origin: string; seq: bigint; tombstone: bigint; type: string; payload: Uint8Array }>) {
    entries.push({ path: row.path, version: { hlc: row.hlc, origin: row.origin, seq: Number(row.seq) }, tombstone: row.tombstone !== 0n, type: row.type, payload: row.payload });
  }
  db.close();
  return entries;
}
