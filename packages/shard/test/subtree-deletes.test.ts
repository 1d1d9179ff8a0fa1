import { compareVersions, isUnder } from '@statemesh/contracts';
import type { CheckedMutation, Version } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@statemesh/contracts/testing';
import { deliveries } from './delivery.ts';
import { ManualTime } from './manual-time.ts';

const ORIGINS = ['a', 'b', 'c'];
// Depths 1 to 4, with look-alike neighbours (`ra`, `r-x`) that a subtree of `r` must never touch.
const PATHS = ['r', 'r.a', 'r.a.b', 'r.a.b.c', 'r.a.c', 'r.b', 'r.b.a', 'ra', 'ra.a', 'r-x', ''];
const PREFIXES = ['', 'r', 'r.a', 'r.a.b', 'r.b', 'ra'];
const RUNS = 1000;

const opArb = fc.record({
  origin: fc.nat(ORIGINS.length - 1),
  remove: fc.boolean(),
  path: fc.nat(PATHS.length - 1),
  value: fc.nat(3),
  sync: fc.boolean(),
  tick: fc.constantFrom(0, 1),
});

/** Each origin writes on its own replica (syncing now and then); returns every mutation made, in order. */
function run(ops: readonly { origin: number; remove: boolean; path: number; value: number; sync: boolean; tick: number }[], time: ManualTime): CheckedMutation[] {
  const shards = ORIGINS.map((nodeId) => new Shard({ clusterId: 'c', nodeId, clock: time.clock() }));
  const log: CheckedMutation[] = [];
  for (const op of ops) {
    const shard = shards[op.origin]!;
    time.ms += op.tick;
    if (op.sync) shard.apply(log, 'sync');
    const path = PATHS[op.path]!;
    if (op.remove) shard.delete(path);
    else shard.set(path === '' ? 'r' : path, op.value);
    log.push(...shard.drain());
  }
  return log;
}

/** Per path the greatest set, kept only when it beats every delete at or above its path. */
function model(log: readonly CheckedMutation[]): Map<string, Version> {
  const best = new Map<string, CheckedMutation>();
  for (const m of log) if (m.op === 'set' && (best.get(m.path) === undefined || compareVersions(m, best.get(m.path)!) > 0)) best.set(m.path, m);
  const out = new Map<string, Version>();
  for (const [path, m] of best) {
    if (!log.some((d) => d.op === 'delete' && isUnder(path, d.path) && compareVersions(d, m) > 0)) out.set(path, { hlc: m.hlc, origin: m.origin, seq: m.seq });
  }
  return out;
}

describe('subtree deletes under concurrent sets (property-based)', () => {
  it(`at depths 1-4, any delivery order and duplicates give the same tree, subtree by subtree (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 16 }), fc.integer(), (ops, seed) => {
        const time = new ManualTime();
        const log = run(ops, time);
        const random = new SeededRandom(seed);
        const expected = model(log);
        const replicas = [0, 1, 2].map((i) => new Shard({ clusterId: 'c', nodeId: `o${i}`, clock: time.clock() }));
        for (const replica of replicas) for (const batch of deliveries(log, random)) replica.apply(batch, 'peer');
        for (const replica of replicas) {
          for (const prefix of PREFIXES) {
            // entries(prefix) walks only the subtree: it must be exactly the model's paths under the prefix, in order.
            const want = [...expected].filter(([path]) => isUnder(path, prefix)).sort(([x], [y]) => (x < y ? -1 : 1));
            expect(replica.entries(prefix).map((e) => [e.path, { hlc: e.version.hlc, origin: e.version.origin, seq: e.version.seq }])).toEqual(want);
          }
        }
        expect(new Set(replicas.map((r) => r.digest())).size).toBe(1);
        // Tombstones end up the same too: a delete covered by a newer one above it is dropped whichever came first.
        expect(new Set(replicas.map((r) => r.tombstoneCount)).size).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });
});
