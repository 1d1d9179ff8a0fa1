// The replica the benchmarks of store-fs and session measure: 100-byte values at `scene.items.k<i>`, written by 8
// origins, and how a store of them is built. Shared by run.ts, profile-restart.ts, profile-writes.ts and
// packages/session/bench/restart.ts (a bench script of a dependent package, importing it by path).
import type { CheckedEntry, CheckedMutation, ReplicaStore } from '@statemesh/contracts';

/** Every value: 100 bytes. */
export const BENCH_VALUE = new Uint8Array(100).fill(0x61);
/** How many origins wrote the entries. */
const ORIGINS = 8;

/** Entry `i`, made to the shape rule as a catch-up hands entries over (checked once, by the wire): stored as it is. */
export function benchEntry(i: number): CheckedEntry {
  return { path: `scene.items.k${i}`, version: { hlc: (1_700_000_000_000n << 16n) + BigInt(i), origin: `node${i % ORIGINS}`, seq: Math.floor(i / ORIGINS) + 1 }, tombstone: false, type: 'bytes', payload: BENCH_VALUE } as CheckedEntry;
}

/** This node's write `seq` over 10 000 paths, made to the shape rule as a shard's drain() hands it over (checked once, there). */
export function benchMutation(seq: number): CheckedMutation {
  return { origin: 'me', seq, hlc: (1_700_000_000_000n << 16n) + BigInt(seq), path: `scene.items.k${seq % 10_000}`, op: 'set', type: 'bytes', payload: BENCH_VALUE } as CheckedMutation;
}

/** Appends entries 0 to `count - 1` to an open store, in catch-up pages of 1000, then the vector covering them. */
export async function fillStore(store: ReplicaStore, count: number): Promise<void> {
  for (let at = 0; at < count; at += 1000) {
    const page: CheckedEntry[] = [];
    for (let i = at; i < Math.min(count, at + 1000); i++) page.push(benchEntry(i));
    store.append({ kind: 'entries', entries: page });
    if (at % 100_000 === 0) await store.commit();
  }
  store.append({ kind: 'vector', vector: Object.fromEntries(Array.from({ length: ORIGINS }, (_, n) => [`node${n}`, Math.ceil(count / ORIGINS)])) });
}
