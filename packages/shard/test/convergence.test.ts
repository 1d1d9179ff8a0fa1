import { compareVersions, isUnder } from '@statemesh/contracts';
import type { CheckedMutation, SnapshotPage, Version } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@statemesh/contracts/testing';
import { deliveries } from './delivery.ts';
import { ManualTime } from './manual-time.ts';

const ORIGINS = ['a', 'b', 'c', 'd', 'e'];
const PATHS = ['s', 's.a', 's.a.x', 's.b', 'sc', 'sc.a', 't', ''];
const RUNS = 1000;

interface Op {
  readonly origin: number;
  readonly kind: 'set' | 'delete';
  readonly path: number;
  readonly value: number;
  /** Before writing, the origin applies everything written so far (so writes are sometimes causal). */
  readonly sync: boolean;
  /** Milliseconds the shared physical time moves before this op (0 makes hybrid-time ties likely). */
  readonly tick: number;
}

const opArb = fc.record({
  origin: fc.nat(4),
  kind: fc.constantFrom<'set' | 'delete'>('set', 'set', 'set', 'delete'),
  path: fc.nat(PATHS.length - 1),
  value: fc.nat(3),
  sync: fc.boolean(),
  tick: fc.constantFrom(0, 0, 1),
});

const scenarioArb = fc.record({
  origins: fc.integer({ min: 2, max: 5 }),
  ops: fc.array(opArb, { minLength: 1, maxLength: 12 }),
  seed: fc.integer(),
});

/** Runs the ops on one replica per origin; returns the replicas and every mutation made, in the order made. */
function run(origins: number, ops: readonly Op[], time: ManualTime): { shards: Shard[]; log: CheckedMutation[] } {
  const shards = ORIGINS.slice(0, origins).map((nodeId) => new Shard({ clusterId: 'c', nodeId, clock: time.clock() }));
  const log: CheckedMutation[] = [];
  for (const op of ops) {
    const shard = shards[op.origin % origins]!;
    time.ms += op.tick;
    if (op.sync) shard.apply(log, 'sync');
    const path = PATHS[op.path]!;
    if (op.kind === 'delete') shard.delete(path);
    else shard.set(path === '' ? 's' : path, op.value);
    log.push(...shard.drain());
  }
  return { shards, log };
}

/** What every replica must hold: per path the greatest set, kept only if it beats every delete at or above it. */
function model(log: readonly CheckedMutation[]): Map<string, Version> {
  const best = new Map<string, CheckedMutation>();
  for (const m of log) {
    if (m.op !== 'set') continue;
    const current = best.get(m.path);
    if (current === undefined || compareVersions(m, current) > 0) best.set(m.path, m);
  }
  const out = new Map<string, Version>();
  for (const [path, m] of best) {
    const deleted = log.some((d) => d.op === 'delete' && isUnder(path, d.path) && compareVersions(d, m) > 0);
    if (!deleted) out.set(path, { hlc: m.hlc, origin: m.origin, seq: m.seq });
  }
  return out;
}

function held(shard: Shard): Map<string, Version> {
  return new Map(shard.entries().map((e) => [e.path, e.version]));
}

function applyPages(target: Shard, pages: Iterable<SnapshotPage>): void {
  for (const page of pages) target.applyPage(page, 'peer');
}

describe('convergence (property-based)', () => {
  it(`every delivery order, with duplicates and any batching, reaches the same tree (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, ({ origins, ops, seed }) => {
        const time = new ManualTime();
        const { shards, log } = run(origins, ops, time);
        const random = new SeededRandom(seed);
        const expected = model(log);
        const observers = [0, 1].map((i) => new Shard({ clusterId: 'c', nodeId: `o${i}`, clock: time.clock() }));
        const digests = new Set<string>();
        for (const replica of [...shards, ...observers]) {
          for (const batch of deliveries(log, random)) replica.apply(batch, 'peer');
          expect(held(replica)).toEqual(expected);
          digests.add(replica.digest());
        }
        expect(digests.size).toBe(1);
        // Everything applied once: the vectors agree and a second delivery is only duplicates.
        for (const replica of [...shards, ...observers]) {
          const { applied, stale } = replica.apply(log, 'again');
          expect(applied + stale).toBe(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it(`a replica with interests holds exactly the full tree's paths under them, in any delivery order (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, fc.constantFrom(['s'], ['s.a'], ['sc', 't']), ({ origins, ops, seed }, interests) => {
        const time = new ManualTime();
        const { log } = run(origins, ops, time);
        const random = new SeededRandom(seed);
        const partial = new Shard({ clusterId: 'c', nodeId: 'part', interests, clock: time.clock() });
        for (const batch of deliveries(log, random)) partial.apply(batch, 'peer');
        const expected = new Map([...model(log)].filter(([path]) => interests.some((prefix) => isUnder(path, prefix))));
        expect(held(partial)).toEqual(expected);
        // and it catches up from a full replica through since() with its prefixes
        const full = new Shard({ clusterId: 'c', nodeId: 'full', clock: time.clock() });
        full.apply(log, 'peer');
        const late = new Shard({ clusterId: 'c', nodeId: 'late', interests, clock: time.clock() });
        applyPages(late, full.since(late.vector(), { prefixes: interests, pageSize: 2 }));
        expect(late.digest()).toBe(partial.digest());
      }),
      { numRuns: RUNS },
    );
  });

  it(`catch-up through since(vector) or a snapshot reaches the digest of live delivery (${RUNS} runs)`, () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 4 }), ({ origins, ops, seed }, pageSize) => {
        const time = new ManualTime();
        const { log } = run(origins, ops, time);
        const random = new SeededRandom(seed);
        const live = new Shard({ clusterId: 'c', nodeId: 'live', clock: time.clock() });
        for (const batch of deliveries(log, random)) live.apply(batch, 'peer');

        // A replica that saw a random part of the stream, then catches up from `live` by its vector.
        const behind = new Shard({ clusterId: 'c', nodeId: 'behind', clock: time.clock() });
        behind.apply(log.filter(() => random.next() < 0.5), 'peer');
        applyPages(behind, live.since(behind.vector(), { pageSize }));
        expect(behind.digest()).toBe(live.digest());
        expect(behind.vector()).toEqual(live.vector());

        // A new replica from a full snapshot, then the live stream again: nothing changes.
        const fresh = new Shard({ clusterId: 'c', nodeId: 'fresh', clock: time.clock() });
        applyPages(fresh, live.snapshot([], { pageSize }));
        expect(fresh.digest()).toBe(live.digest());
        expect(fresh.apply(log, 'peer').applied).toBe(0);
        expect(fresh.digest()).toBe(live.digest());
        // A snapshot merged into a replica that holds older data also converges.
        const older = new Shard({ clusterId: 'c', nodeId: 'older', clock: time.clock() });
        older.apply(log.slice(0, Math.floor(log.length / 2)), 'peer');
        applyPages(older, live.snapshot([], { pageSize }));
        expect(older.digest()).toBe(live.digest());
      }),
      { numRuns: RUNS },
    );
  });
});
