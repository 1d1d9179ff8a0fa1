// Issue 13, finding 2: a vector never claims an entry the replica did not apply; refused writes come back by a
// later catch-up once acceptable.
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const HOUR = 3_600_000;

describe('a replica whose clock is behind', () => {
  it('refuses writes too far ahead, keeps its vector below them through a catch-up, and takes them once its clock is right', () => {
    const real = new ManualTime();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: real.clock() });
    writer.set('early', 1);
    const skewed = new ManualTime(real.ms - HOUR); // an hour behind
    const lines: string[] = [];
    const replica = new Shard({ clusterId: 'c', nodeId: 'r', clock: skewed.clock(60_000), logger: (line) => lines.push(line) });
    for (const page of writer.since(replica.vector())) replica.applyPage(page, 'w');
    expect(replica.counters()['rejected.clock']).toBe(1);
    expect(replica.get('early')).toBeUndefined();

    // More writes; one catch-up in small pages: every one is refused, and the last page's vector claims none.
    writer.set('later', 2);
    writer.delete('gone');
    const result = [...writer.since(replica.vector(), { pageSize: 1 })].map((page) => replica.applyPage(page, 'w'));
    expect(result.reduce((sum, r) => sum + r.rejected, 0)).toBe(3);
    expect(replica.vector()['w'] ?? 0).toBe(0);

    // The live stream refuses them too, without claiming them.
    expect(replica.apply(writer.drain(), 'w')).toMatchObject({ applied: 0, rejected: 3 });
    expect(replica.vector()['w'] ?? 0).toBe(0);
    // Seven refusals, one line, and the skew shown per writing node.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/writes of node 'w' \(received from 'w'\) are 3600000 ms ahead/);
    expect(replica.clockSkew()).toEqual({ w: HOUR });

    // The clock is set right: the next catch-up brings every refused write.
    skewed.ms = real.ms;
    for (const page of writer.since(replica.vector(), { pageSize: 1 })) replica.applyPage(page, 'w');
    expect(replica.get('early')?.value).toBe(1);
    expect(replica.get('later')?.value).toBe(2);
    expect(replica.vector()).toEqual({ w: 3 });
    expect(replica.digest()).toBe(writer.digest());
    expect(replica.clockSkew()).toEqual({});
    expect(lines).toHaveLength(2);
  });

  it('claims nothing of a catch-up while a write in it is refused for drift, then everything once it is accepted', () => {
    const real = new ManualTime();
    const writer = new Shard({ clusterId: 'c', nodeId: 'w', clock: real.clock() });
    const replicaTime = new ManualTime(real.ms);
    const replica = new Shard({ clusterId: 'c', nodeId: 'r', clock: replicaTime.clock(60_000), logger: () => undefined });
    writer.set('a', 1);
    writer.set('b', 2);
    real.ms += HOUR; // the writer's clock jumps ahead (or the replica's stays behind)
    writer.set('c', 3);
    writer.set('d', 4);
    for (const page of writer.since(replica.vector())) replica.applyPage(page, 'w');
    // a and b are applied, but the refused c and d may have superseded writes the pages left out: nothing claimed.
    expect(replica.get('b')?.value).toBe(2);
    expect(replica.vector()).toEqual({});
    replicaTime.ms = real.ms;
    for (const page of writer.since(replica.vector())) replica.applyPage(page, 'w');
    expect(replica.vector()).toEqual({ w: 4 });
    expect(replica.digest()).toBe(writer.digest());
  });

  it('does not claim a write of another origin that a refused delete superseded at the sender (simulator seed 97)', () => {
    const real = new ManualTime();
    const n1 = new Shard({ clusterId: 'c', nodeId: 'n1', clock: real.clock() });
    const ahead = new ManualTime(real.ms + HOUR);
    const n2 = new Shard({ clusterId: 'c', nodeId: 'n2', clock: ahead.clock(60_000 * 120), logger: () => undefined });
    const replica = new Shard({ clusterId: 'c', nodeId: 'r', clock: new ManualTime(real.ms).clock(60_000), logger: () => undefined });
    n1.set('scene.camera.pos', [1, 2, 3]);
    n2.apply(n1.drain(), 'n1');
    n2.delete('scene'); // an hour ahead: the replica refuses it, and n2's pages leave out what it superseded
    for (const page of n2.since(replica.vector())) replica.applyPage(page, 'n2');
    expect(replica.counters()['rejected.clock']).toBe(1);
    expect(replica.vector()['n1'] ?? 0).toBe(0); // n1's write is not here: it must not be claimed
    // So a catch-up from n1 (n2 may be gone by now) still brings it.
    for (const page of n1.since(replica.vector())) replica.applyPage(page, 'n1');
    expect(replica.get('scene.camera.pos')?.value).toEqual([1, 2, 3]);
    expect(replica.vector()['n1']).toBe(1);
  });
});
