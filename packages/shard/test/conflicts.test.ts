import { checkMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation, Mutation, Version } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

function write(origin: string, seq: number, path: string, wallMs: number, prev?: Version): CheckedMutation {
  const m: Mutation = { origin, seq, hlc: pack({ wallMs, logical: 0 }), path, op: 'set', type: 'json', payload: new TextEncoder().encode(String(seq)) };
  return checkMutation(prev === undefined ? m : { ...m, prev });
}

describe('conflicts', () => {
  it('records a write that loses to a concurrent write of another origin, in either arrival order', () => {
    const base = 1_700_000_000_000;
    const a = write('a', 1, 'x', base + 1);
    const b = write('b', 1, 'x', base + 2);
    for (const order of [[a, b], [b, a]]) {
      const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
      const results = order.map((m) => s.apply([m], 'p'));
      expect(results.reduce((sum, r) => sum + r.conflicts, 0)).toBe(1);
      expect(s.recentConflicts()).toEqual([
        { path: 'x', winner: { origin: 'b', seq: 1, hlc: b.hlc }, loser: { origin: 'a', seq: 1, hlc: a.hlc }, at: expect.any(Number) },
      ]);
      expect(s.counters()['conflicts.detected']).toBe(1);
      expect(s.counters()['conflicts.lost']).toBe(0);
    }
  });

  it('is not a conflict when each write overwrote the one before it knowingly (its prev)', () => {
    const base = 1_700_000_000_000;
    const a = write('a', 1, 'x', base + 1);
    const b = write('b', 1, 'x', base + 2, { origin: 'a', seq: 1, hlc: a.hlc });
    const a2 = write('a', 2, 'x', base + 3, { origin: 'b', seq: 1, hlc: b.hlc });
    for (const order of [[a, b, a2], [a2, b, a], [b, a, a2]]) {
      const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
      for (const m of order) s.apply([m], 'p');
      expect(s.recentConflicts()).toEqual([]);
    }
  });

  it('sees a write that did not know the current value as concurrent, even from the origin that wrote before', () => {
    const base = 1_700_000_000_000;
    const a = write('a', 1, 'x', base + 1);
    const b = write('b', 1, 'x', base + 2, { origin: 'a', seq: 1, hlc: a.hlc });
    const a2 = write('a', 2, 'x', base + 3, { origin: 'a', seq: 1, hlc: a.hlc }); // a had not seen b
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    for (const m of [a, b, a2]) s.apply([m], 'p');
    expect(s.recentConflicts().map((c) => [c.winner.origin, c.loser.origin])).toEqual([['a', 'b']]);
  });

  it('counts conflicts that this node lost', () => {
    const time = new ManualTime();
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock() });
    const mine = s.set('x', 'mine');
    const result = s.apply([write('z', 1, 'x', time.ms + 10)], 'p');
    expect(result.conflicts).toBe(1);
    expect(s.counters()['conflicts.lost']).toBe(1);
    expect(s.recentConflicts(1)[0]!.loser).toEqual({ origin: 'n', seq: mine.seq, hlc: mine.hlc });
  });

  it('keeps the 128 most recent of 200 conflicts, most recent first', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const base = 1_700_000_000_000;
    for (let i = 0; i < 200; i++) {
      s.apply([write('w', i + 1, `p${i}`, base + 10 + i)], 'p');
      expect(s.apply([write('l', i + 1, `p${i}`, base + i)], 'p').conflicts).toBe(1);
    }
    const recent = s.recentConflicts(500);
    expect(recent).toHaveLength(128);
    expect(recent[0]!.path).toBe('p199');
    expect(recent[127]!.path).toBe('p72');
    expect(recent.map((c) => c.loser.seq)).toEqual(Array.from({ length: 128 }, (_, i) => 200 - i));
    expect(s.recentConflicts(3).map((c) => c.path)).toEqual(['p199', 'p198', 'p197']);
    expect(s.counters()['conflicts.detected']).toBe(200);
  });

  it('records none with resolveConflicts: false, and still resolves by last writer wins', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', resolveConflicts: false, clock: new ManualTime().clock() });
    const base = 1_700_000_000_000;
    s.apply([write('b', 1, 'x', base + 2), write('a', 1, 'x', base + 1)], 'p');
    expect(s.recentConflicts()).toEqual([]);
    expect(s.get('x')?.version.origin).toBe('b');
  });

  it('reports a delete racing a set at the same path, and every replica ends the same', () => {
    const base = 1_700_000_000_000;
    const set: CheckedMutation = write('a', 1, 'scene.x', base + 1);
    const del = checkMutation({ origin: 'b', seq: 1, hlc: pack({ wallMs: base + 2, logical: 0 }), path: 'scene.x', op: 'delete', type: '' });
    const digests = new Set<string>();
    for (const order of [[set, del], [del, set]]) {
      const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
      let conflicts = 0;
      for (const m of order) conflicts += s.apply([m], 'p').conflicts;
      expect(conflicts).toBe(1);
      expect(s.get('scene.x')).toBeUndefined();
      digests.add(s.digest());
    }
    expect(digests.size).toBe(1);
  });
});
