import { describe, expect, it } from 'vitest';
import type { Mutation } from '@statemesh/contracts';
import { RecordingHost } from '@statemesh/contracts/testing';
import { MemoryNetwork, VirtualScheduler } from '@statemesh/transport-memory';
import type { LinkFaults, MemoryTransport } from '@statemesh/transport-memory';

function mutation(origin: string, seq: number): Mutation {
  return { origin, seq, hlc: BigInt(seq), path: `s.k${seq}`, op: 'set', type: 'json', payload: new Uint8Array([seq & 255]) };
}

/** A cluster on virtual time: every node seeds the ones made before it. */
async function cluster(ids: readonly string[], options: { seed?: number; faults?: LinkFaults } = {}) {
  const scheduler = new VirtualScheduler();
  const network = new MemoryNetwork({ ...options, scheduler, log: () => {} });
  const nodes = new Map<string, { transport: MemoryTransport; host: RecordingHost }>();
  for (const [i, id] of ids.entries()) {
    const transport = network.createTransport({ nodeId: id, clusterId: 'sim', seeds: ids.slice(0, i), heartbeatIntervalMs: 100 });
    const host = new RecordingHost();
    await transport.start(host);
    nodes.set(id, { transport, host });
  }
  await scheduler.advance(50);
  const node = (id: string) => nodes.get(id)!;
  const close = () => Promise.all([...nodes.values()].map((n) => n.transport.close()));
  return { scheduler, network, node, close };
}

/** What b receives from a when a publishes 300 single-mutation batches, one per virtual millisecond. */
async function deliveredSequence(seed: number): Promise<number[]> {
  const { scheduler, network, node, close } = await cluster(['a', 'b'], {
    seed,
    faults: { drop: 0.1, duplicate: 0.1, reorder: 0.2, delayMs: [1, 5] },
  });
  expect(node('b').host.upPeers()).toEqual(['a']);
  for (let seq = 1; seq <= 300; seq++) {
    node('a').transport.publish([mutation('a', seq)]);
    await scheduler.advance(1);
  }
  await scheduler.advance(100);
  const stats = network.faultStats();
  expect(stats.dropped).toBeGreaterThan(0);
  expect(stats.duplicated).toBeGreaterThan(0);
  expect(stats.reordered).toBeGreaterThan(0);
  await close();
  return node('b').host.mutations('a').map((m) => m.seq);
}

describe('seeded fault injection', () => {
  it('the same seed gives the same run; another seed another', async () => {
    const first = await deliveredSequence(7);
    const again = await deliveredSequence(7);
    const other = await deliveredSequence(8);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('drops, duplicates and reorders mutation batches', async () => {
    const seqs = await deliveredSequence(7);
    const distinct = new Set(seqs);
    expect(distinct.size).toBeLessThan(300); // some dropped
    expect(seqs.length).toBeGreaterThan(distinct.size); // some twice
    expect(seqs).not.toEqual([...seqs].sort((x, y) => x - y)); // some out of order
  });

  it('reorder alone loses nothing and duplicates nothing', async () => {
    const { scheduler, node, close } = await cluster(['a', 'b'], { seed: 3, faults: { reorder: 0.3, reorderWindowMs: 10 } });
    for (let seq = 1; seq <= 100; seq++) node('a').transport.publish([mutation('a', seq)]);
    await scheduler.advance(50);
    const seqs = node('b').host.mutations('a').map((m) => m.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(seqs).not.toEqual([...seqs].sort((x, y) => x - y));
    await close();
  });

  it('duplicate: 1 delivers every batch twice', async () => {
    const { scheduler, node, close } = await cluster(['a', 'b'], { faults: { duplicate: 1 } });
    node('a').transport.publish([mutation('a', 1)]);
    node('a').transport.publish([mutation('a', 2)]);
    await scheduler.advance(10);
    expect(node('b').host.mutations('a').map((m) => m.seq)).toEqual([1, 1, 2, 2]);
    await close();
  });

  it('faults of one link leave the others alone, and can be lifted', async () => {
    const { scheduler, network, node, close } = await cluster(['a', 'b', 'c']);
    network.setLinkFaults('a', 'b', { drop: 1 });
    expect(node('a').transport.publish([mutation('a', 1)])).toBe(2);
    await scheduler.advance(10);
    expect(node('b').host.mutations('a')).toEqual([]);
    expect(node('c').host.mutations('a').map((m) => m.seq)).toEqual([1]);
    network.setLinkFaults('a', 'b', undefined);
    node('a').transport.publish([mutation('a', 2)]);
    await scheduler.advance(10);
    expect(node('b').host.mutations('a').map((m) => m.seq)).toEqual([2]);
    await close();
  });

  it('delays frames by the configured range, on virtual time', async () => {
    const { scheduler, network, node, close } = await cluster(['a', 'b']);
    network.setFaults({ delayMs: [30, 40] });
    node('a').transport.publish([mutation('a', 1)]);
    await scheduler.advance(29);
    expect(node('b').host.mutations('a')).toEqual([]);
    await scheduler.advance(11);
    expect(node('b').host.mutations('a').map((m) => m.seq)).toEqual([1]);
    await close();
  });

  it('refuses impossible fault settings with INVALID_CONFIG', () => {
    expect(() => new MemoryNetwork({ faults: { drop: 1.5 } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new MemoryNetwork({ faults: { delayMs: [5, 1] } })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => new MemoryNetwork({ faults: { duplicate: -0.1 } })).toThrow(/faults.duplicate/);
    expect(() => new MemoryNetwork({ seed: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('partitions', () => {
  it('a partition takes peers down across it; heal brings them back and delivery resumes', async () => {
    const { scheduler, network, node, close } = await cluster(['a', 'b', 'c']);
    network.partition(['a'], ['b', 'c']);
    expect(network.reachable('a', 'b')).toBe(false);
    expect(network.reachable('b', 'c')).toBe(true);
    node('a').transport.publish([mutation('a', 1)]);
    await scheduler.advance(700); // past 5 heartbeat intervals of silence
    expect(node('b').host.mutations('a')).toEqual([]);
    expect(node('a').host.upPeers()).toEqual([]);
    expect(node('b').host.upPeers()).toEqual(['c']);
    expect(node('b').host.eventsFor('a').map((e) => e.type)).toEqual(['up', 'suspect', 'down']);
    expect(node('a').transport.publish([mutation('a', 2)])).toBe(0);

    network.heal();
    await scheduler.advance(2000); // reconnect backoff is at most 1 s
    expect(node('a').host.upPeers().sort()).toEqual(['b', 'c']);
    expect(node('b').host.eventsFor('a').map((e) => e.type)).toEqual(['up', 'suspect', 'down', 'up']);
    expect(node('a').transport.publish([mutation('a', 3)])).toBe(2);
    await scheduler.advance(10);
    expect(node('b').host.mutations('a').map((m) => m.seq)).toEqual([3]);
    expect(node('c').host.mutations('a').map((m) => m.seq)).toEqual([3]);
    await close();
  });

  it('a short partition only makes the peer suspect, and it comes back up', async () => {
    const { scheduler, network, node, close } = await cluster(['a', 'b']);
    await scheduler.advance(60); // t = 110: the heartbeats of t = 100 arrived
    network.isolate('b');
    await scheduler.advance(340); // silent from 100 to 450: suspect at 400 (3 intervals), not down (5)
    network.heal();
    await scheduler.advance(200);
    expect(node('a').host.eventsFor('b').map((e) => e.type)).toEqual(['up', 'suspect', 'up']);
    expect(node('a').transport.peers().map((p) => [p.node, p.state])).toEqual([['b', 'up']]);
    await close();
  });
});
