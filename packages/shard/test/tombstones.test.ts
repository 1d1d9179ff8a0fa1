import { checkMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const base = 1_700_000_000_000;
const set = (origin: string, seq: number, path: string, wallMs: number): CheckedMutation => checkMutation({
  origin, seq, hlc: pack({ wallMs, logical: 0 }), path, op: 'set', type: 'json', payload: new TextEncoder().encode(String(wallMs - base)),
});
const del = (origin: string, seq: number, path: string, wallMs: number): CheckedMutation => checkMutation({
  origin, seq, hlc: pack({ wallMs, logical: 0 }), path, op: 'delete', type: '',
});

function replica(nodeId = 'n', time = new ManualTime()): Shard {
  return new Shard({ clusterId: 'c', nodeId, clock: time.clock() });
}

describe('tombstones', () => {
  it('a delete removes older entries under its path, keeps newer ones, and makes late older sets stale', () => {
    const s = replica();
    s.apply([set('a', 1, 'scene.a', base + 1), set('a', 2, 'scene.b', base + 5), set('a', 3, 'scenery', base + 1)], 'p');
    expect(s.apply([del('b', 1, 'scene', base + 3)], 'p').applied).toBe(1);
    expect(s.entries().map((e) => e.path)).toEqual(['scene.b', 'scenery']);
    expect(s.apply([set('c', 1, 'scene.a.deep', base + 2)], 'p')).toMatchObject({ applied: 0, stale: 1 });
    expect(s.apply([set('c', 2, 'scene.a.deep', base + 4)], 'p')).toMatchObject({ applied: 1 });
    expect(s.tombstoneCount).toBe(1);
  });

  it('a delete racing a set from another origin gives the same tree on every replica, in every order', () => {
    const racing = [set('a', 1, 'scene.x', base + 2), del('b', 1, 'scene', base + 2), set('a', 2, 'scene.y', base + 3)];
    const orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    const results = orders.map((order) => {
      const s = replica();
      for (const i of order) s.apply([racing[i]!], 'p');
      return { digest: s.digest(), paths: s.entries().map((e) => e.path) };
    });
    // same hybrid time: origin 'b' > 'a', so the delete beats scene.x; scene.y is newer and stays
    expect(new Set(results.map((r) => r.digest)).size).toBe(1);
    expect(results[0]!.paths).toEqual(['scene.y']);
  });

  it('an older tombstone under a newer one is dropped; a newer one under an older one stays', () => {
    const s = replica();
    s.apply([del('a', 1, 'a.b', base + 1), del('a', 2, 'x.y', base + 9)], 'p');
    s.apply([del('b', 1, 'a', base + 5), del('b', 2, 'x', base + 5)], 'p');
    expect(s.tombstoneCount).toBe(3); // a.b went, x.y stays
    expect(s.apply([set('c', 1, 'x.y.z', base + 7)], 'p').stale).toBe(1);
    expect(s.apply([set('c', 2, 'x.w', base + 7)], 'p').applied).toBe(1);
    // a delete older than a tombstone above it changes nothing
    expect(s.apply([del('c', 3, 'a.q', base + 2)], 'p')).toMatchObject({ applied: 0, stale: 1 });
  });

  it('are collected once every peer has applied them and this replica has what each peer had from itself', () => {
    const time = new ManualTime();
    const s = replica('n', time);
    s.set('x.a', 1);
    const d = s.delete('x');
    expect(s.tombstoneCount).toBe(1);
    expect(s.compactTombstones()).toBe(0); // no peers named: kept
    expect(s.compactTombstones({ p1: { n: d.seq }, p2: { n: d.seq - 1 } })).toBe(0); // p2 lacks it
    expect(s.compactTombstones({ p1: { n: d.seq, p1: 4 }, p2: { n: d.seq } })).toBe(0); // p1 wrote 4 writes we lack
    s.apply([set('p1', 1, 'q1', time.ms), set('p1', 2, 'q2', time.ms), set('p1', 3, 'q3', time.ms), set('p1', 4, 'q4', time.ms)], 'p1');
    const before = s.digest();
    expect(s.compactTombstones({ p1: { n: d.seq, p1: 4 }, p2: { n: d.seq } })).toBe(1);
    expect(s.tombstoneCount).toBe(0);
    expect(s.digest()).toBe(before); // tombstones are not part of the visible state
    expect(s.counters()['tombstones.collected']).toBe(1);
  });

  it('are collected after tombstoneTtlMs when configured', () => {
    const time = new ManualTime();
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock(), tombstoneTtlMs: 60_000 });
    s.delete('old');
    time.ms += 30_000;
    s.delete('young');
    expect(s.compactTombstones()).toBe(0);
    time.ms += 30_000;
    s.set('tick', 1); // the clock reads physical time when it advances
    expect(s.compactTombstones()).toBe(1);
    expect(s.tombstoneCount).toBe(1);
  });

  it('replicas converge although only one of them collected a tombstone', () => {
    const time = new ManualTime();
    const a = replica('a', time);
    const b = replica('b', time);
    a.set('k.x', 1);
    a.delete('k');
    a.set('k.y', 2);
    b.apply(a.drain(), 'a');
    expect(b.compactTombstones({ a: a.vector() })).toBe(1);
    expect(b.digest()).toBe(a.digest());
  });
});
