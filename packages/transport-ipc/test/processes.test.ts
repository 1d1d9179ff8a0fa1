// Resilience across real processes: peers are child processes running test/fixtures/peer.ts.
import { existsSync, lstatSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChildPeer } from './fixtures/child-peer.ts';
import { TestNodes } from './fixtures/nodes.ts';
import { mutation } from './fixtures/simple-host.ts';

let nodes: TestNodes;
let children: ChildPeer[];
beforeEach(() => {
  nodes = new TestNodes();
  children = [];
});
afterEach(async () => {
  await Promise.all(children.map((child) => child.kill()));
  await nodes.release();
});

async function child(config: Parameters<typeof ChildPeer.start>[0]): Promise<ChildPeer> {
  const peer = await ChildPeer.start(config);
  children.push(peer);
  return peer;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('IpcTransport across processes', { timeout: 60_000 }, () => {
  it('resumes replication after a peer process stops and restarts at the same address', async () => {
    const cPath = nodes.path('c');
    const p = await nodes.start('p', { seeds: [cPath] });
    const c1 = await child({ nodeId: 'c', listen: cPath, seeds: [p.transport.address()!] });
    await p.host.until(() => p.host.upPeers().includes('c'), 15_000, 'c up');
    await c1.waitFor((m) => m.type === 'event' && (m.event as { type: string }).type === 'up');

    c1.send({ type: 'publish', from: 1, count: 100, batch: 10 });
    p.transport.publish(range(1, 100).map((seq) => mutation('p', seq)));
    await p.host.until(() => p.host.mutations().length === 100, 10_000, '100 from c');
    await c1.reportUntil((r) => r.byOrigin['p']?.length === 100, 10_000, '100 from p');

    // Both listed each other as seeds: still one logical peer, one socket. Each process drops the duplicate from
    // its count when its own end of the socket closes, so c's count may lag p's: wait for each (bounded).
    await p.host.until(() => p.transport.openConnections() === 1, 5_000, 'one socket');
    await c1.reportUntil((r) => r.openConnections === 1, 5_000, 'one socket at c');

    // Stop: the child closes its transport and its process ends by itself (nothing keeps it alive).
    expect(await c1.closeAndWaitExit()).toEqual({ code: 0, signal: null });
    expect(existsSync(cPath)).toBe(false); // close() removed its socket file
    await p.host.until(() => !p.host.upPeers().includes('c'), 5_000, 'c down');
    p.transport.publish([mutation('p', 101)]); // nobody to send to: dropped, caught up by the session later
    expect(p.transport.peers()).toEqual([]);

    const c2 = await child({ nodeId: 'c', listen: cPath, seeds: [p.transport.address()!] });
    await p.host.until(() => p.host.upPeers().includes('c'), 15_000, 'c up again');
    p.transport.publish(range(102, 150).map((seq) => mutation('p', seq)));
    c2.send({ type: 'publish', from: 101, count: 50, batch: 7 });
    await p.host.until(() => p.host.mutations().length === 150, 10_000, 'c2 mutations');
    expect(p.host.mutations().map((m) => m.seq)).toEqual(range(1, 150));
    const report = await c2.reportUntil((r) => r.byOrigin['p']?.length === 49, 10_000, 'p mutations at c2');
    expect(report.byOrigin['p']).toEqual(range(102, 150));
    await p.host.until(() => p.transport.openConnections() === 1, 5_000, 'one socket again');
    expect(p.host.events.map((e) => e.type).filter((t) => t !== 'suspect')).toEqual(['up', 'down', 'up']);
  });

  it('survives a peer killed with SIGKILL mid-stream; counts connections; its stale socket file is reclaimed', async () => {
    const p = await nodes.start('p');
    const pAddress = p.transport.address()!;
    const kPath = nodes.path('k');
    const k = await child({ nodeId: 'k', listen: kPath, seeds: [pAddress] });
    const s = await child({ nodeId: 's', listen: nodes.path('s'), seeds: [pAddress, kPath] });
    await p.host.until(() => p.host.upPeers().length === 2, 15_000, 'k and s up');
    expect(p.transport.openConnections()).toBe(2);
    await s.reportUntil((r) => r.peers.join() === 'k,p' && r.openConnections === 2, 10_000, 's sees k and p');
    await k.reportUntil((r) => r.peers.join() === 'p,s' && r.openConnections === 2, 10_000, 'k sees p and s');

    k.send({ type: 'stream', batch: 20, intervalMs: 2 });
    await p.host.until(() => p.host.mutations().filter((m) => m.origin === 'k').length >= 500, 15_000, 'stream flowing');
    await k.kill('SIGKILL');
    await p.host.until(() => !p.host.upPeers().includes('k'), 5_000, 'k down after SIGKILL');
    expect(p.transport.peers().map((x) => x.node)).toEqual(['s']);
    expect(p.transport.openConnections()).toBe(1);
    // What k delivered before dying arrived whole and in order.
    const fromK = p.host.mutations().filter((m) => m.origin === 'k').map((m) => m.seq);
    expect(fromK).toEqual(range(1, fromK.length));

    // The survivor keeps working, both ways.
    p.transport.publish([mutation('p', 1), mutation('p', 2)]);
    s.send({ type: 'publish', from: 1, count: 30, batch: 30 });
    await p.host.until(() => p.host.mutations().filter((m) => m.origin === 's').length === 30, 10_000, 's mutations');
    await s.reportUntil((r) => r.byOrigin['p']?.length === 2 && r.peers.join() === 'p', 10_000, 's got p and lost k');

    // k crashed: its socket file is still there, and a new k on the same path reclaims it.
    expect(lstatSync(kPath).isSocket()).toBe(true);
    const k2 = await child({ nodeId: 'k', listen: kPath, seeds: [pAddress] });
    await p.host.until(() => p.host.upPeers().length === 2, 15_000, 'k back');
    await s.reportUntil((r) => r.peers.join() === 'k,p', 10_000, 's redialled k');
    await k2.reportUntil((r) => r.peers.join() === 'p,s', 10_000, 'k2 sees p and s');
    k2.send({ type: 'publish', from: 1_000_001, count: 5, batch: 5 });
    const atS = await s.reportUntil((r) => r.byOrigin['k']?.includes(1_000_005) === true, 10_000, 's got k2');
    expect(atS.byOrigin['k']!.slice(-5)).toEqual(range(1_000_001, 1_000_005));
    expect(atS.byOrigin['k']!.length).toBeGreaterThan(5); // and the stream of the first k before that
  });

  it('disconnects and counts a process sending garbage while the other peers go on', async () => {
    const p = await nodes.start('p');
    const q = await nodes.start('q', { seeds: [p.transport.address()!] });
    await p.host.until(() => p.host.upPeers().includes('q'));
    const garbage = await child({ nodeId: 'g', mode: 'garbage', seeds: [p.transport.address()!], rounds: 3 });
    expect(await garbage.exited).toEqual({ code: 0, signal: null });
    expect(garbage.messages.map((m) => m.type)).toEqual(['garbage-done']);
    expect(p.transport.stats().badFrames).toBe(3);
    expect(p.transport.peers().map((x) => x.node)).toEqual(['q']);
    q.transport.publish([mutation('q', 1)]);
    await p.host.until(() => p.host.mutations().length === 1);
  });

  it('drops a stalled receiver at the high-water mark and takes it back when it reconnects', async () => {
    const p = await nodes.start('p', { highWaterMarkBytes: 1024 * 1024, heartbeatIntervalMs: 1000 });
    const r = await child({ nodeId: 'r', seeds: [p.transport.address()!], heartbeatIntervalMs: 1000 });
    await p.host.until(() => p.host.upPeers().includes('r'), 15_000, 'r up');
    const since = r.messages.length;
    r.send({ type: 'stall', ms: 1500 });
    await r.waitFor((m) => m.type === 'stalling', 10_000, since);
    const batch = range(1, 100).map((seq) => mutation('p', seq, 100));
    for (let i = 0; i < 2000 && p.transport.stats().slowPeerDisconnects === 0; i++) {
      p.transport.publish(batch);
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(p.transport.stats().slowPeerDisconnects).toBe(1);
    await p.host.until(() => !p.host.upPeers().includes('r'), 5_000, 'r dropped');
    // Once it runs again, r redials and is a peer again (the session then catches it up by vector).
    await p.host.until(() => p.host.upPeers().includes('r'), 15_000, 'r back');
    p.transport.publish([mutation('p', 9999)]);
    await r.reportUntil((report) => report.byOrigin['p']?.includes(9999) === true, 10_000, 'r receives again');
  });
});
