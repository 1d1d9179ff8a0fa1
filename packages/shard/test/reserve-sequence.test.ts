import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

describe('reserveSequence (a restarted node)', () => {
  it('numbers new writes after the reserve, yet still takes back its older writes from a peer', () => {
    const time = new ManualTime();
    const before = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock() });
    const peer = new Shard({ clusterId: 'c', nodeId: 'p', clock: time.clock() });
    for (let i = 1; i <= 5; i++) before.set(`old.${i}`, i);
    peer.apply(before.drain(), 'n');

    // The node restarts empty, knowing only that it had published up to seq 5.
    const restarted = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock() });
    restarted.reserveSequence(5);
    expect(restarted.set('new', 1).seq).toBe(6);
    expect(restarted.vector()['n'] ?? 0).toBe(0); // it does not claim 1..5, which it does not hold

    for (const page of peer.since(restarted.vector(), {})) restarted.applyPage(page, 'p');
    expect(restarted.entries('old').map((e) => e.value)).toEqual([1, 2, 3, 4, 5]);
    expect(restarted.vector()['n']).toBe(6);
    expect(() => restarted.reserveSequence(-1)).toThrow(/non-negative integer/);
  });
});
