import { afterEach, describe, expect, it } from 'vitest';
import { isStatemeshError, type Session } from '@statemesh/session';
import { nodeOfOrigin } from '@statemesh/contracts';
import { converged, testCluster, waitFor, type TestCluster } from './cluster.ts';

let cluster: TestCluster;
afterEach(async () => cluster?.close());

describe('a session over Unix sockets', () => {
  it('reports each peer as one entry with its lag from what it acknowledged applying, and its clock skew', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { heartbeatIntervalMs: 50 });
    const b = await cluster.start('b', ['a'], { heartbeatIntervalMs: 50 });
    await waitFor('connected', () => a.status().peerCount === 1);
    for (let i = 0; i < 50; i++) a.set(`scene.item${i}`, i);
    expect(a.status().localSequence).toBe(50);
    await waitFor('b to acknowledge all 50', () => a.status().peers[0]?.lagSeq === 0);
    expect(Object.entries(b.vector()).find(([origin]) => nodeOfOrigin(origin) === 'a')?.[1]).toBe(50); // origin a~<incarnation>
    await waitFor('a heartbeat to measure the skew', () => a.status().peers[0]?.clockSkewMs !== undefined);
    expect(Math.abs(a.status().peers[0]!.clockSkewMs!)).toBeLessThan(1_000); // one machine, one clock
    expect(a.status().peers.map((p) => p.node)).toEqual(['b']);
  });

  it('replicates writes and deletes, relayed along a line a - b - c', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b', ['a']);
    const c = await cluster.start('c', ['b']); // c knows only b: a's writes reach it by relay
    await waitFor('b to see two peers', () => b.status().peerCount === 2);

    a.set('scene.camera.fov', 60);
    a.setText('scene.title', 'hello');
    await waitFor('c to see a write from a', () => c.get('scene.camera.fov')?.value === 60);
    expect(c.get('scene.title')?.value).toBe('hello');

    c.delete('scene.camera');
    await waitFor('a to see c delete', () => a.get('scene.camera.fov') === undefined);
    expect(await converged([a, b, c])).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends a node only the writes under its interests, and the deletes of subtrees that hold them', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    // Anti-entropy off: it would repair a missing delete within seconds; this checks the live stream.
    const viewer = await cluster.start('viewer', ['a'], { interests: ['scene.camera'], antiEntropyIntervalMs: 600_000 });
    await waitFor('connected', () => a.status().peerCount === 1);

    a.set('scene.camera.fov', 60);
    a.set('scene.lights.key', 1);
    a.set('other', 2);
    await waitFor('the viewer to see the camera', () => viewer.get('scene.camera.fov')?.value === 60);
    a.set('scene.camera.near', 0.1); // a later write: by now every earlier one has reached the viewer, or never will
    await waitFor('the viewer to see the later write', () => viewer.get('scene.camera.near') !== undefined);
    expect(viewer.entries('').map((e) => e.path).sort()).toEqual(['scene.camera.fov', 'scene.camera.near']);

    a.delete('scene'); // a subtree holding the viewer's interest
    await waitFor('the viewer to see the delete', () => viewer.get('scene.camera.fov') === undefined);
    expect(viewer.entries('')).toEqual([]);
  });

  it('resolves concurrent writes the same way everywhere and reports the conflict', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b', ['a']);
    await waitFor('a and b connected', () => a.status().peerCount === 1 && b.status().peerCount === 1);

    // Written in the same turn of the event loop: neither has seen the other's write.
    a.set('scene.light.color', 'red');
    b.set('scene.light.color', 'blue');
    await converged([a, b]);
    const winner = a.get('scene.light.color')!;
    expect(b.get('scene.light.color')!.value).toBe(winner.value);
    const loser = winner.value === 'red' ? 'b' : 'a';
    await waitFor('a conflict reported', () => a.recentConflicts().length + b.recentConflicts().length > 0);
    const conflict = [...a.recentConflicts(), ...b.recentConflicts()][0]!;
    expect(conflict.path).toBe('scene.light.color');
    expect(nodeOfOrigin(conflict.loser.origin)).toBe(loser); // the node's origin in this run: `<node>~<incarnation>`
  });

  it('catches a restarted node up by version vector, and it resumes its own sequence', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    let b = await cluster.start('b', ['a'], { blobStorePath: `${cluster.dir}/b-blobs` });
    b.set('from-b.first', 1);
    await waitFor('a to see b', () => a.get('from-b.first') !== undefined);
    await b.close();

    for (let i = 0; i < 500; i++) a.set(`scene.obj.${i}.x`, i);
    a.delete('scene.obj.7');
    b = await cluster.start('b', ['a'], { blobStorePath: `${cluster.dir}/b-blobs` });
    // join() resolves after the first catch-up: everything a wrote meanwhile is there.
    expect(b.entries('scene.obj').length).toBe(499);
    expect(b.get('scene.obj.7.x')).toBeUndefined();

    // A new write from the restarted b must not reuse a sequence number a already holds for b.
    const version = b.set('from-b.second', 2);
    expect(version.seq).toBeGreaterThan(1);
    await waitFor('a to see b after restart', () => a.get('from-b.second')?.value === 2);
    await converged([a, b]);
  });

  it('offloads a large value as chunks and hydrates it on the other node', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    const b = await cluster.start('b', ['a']);
    await waitFor('connected', () => b.status().peerCount === 1);
    const volume = new Uint8Array(3 * 1024 * 1024);
    for (let i = 0; i < volume.length; i++) volume[i] = (i * 7) & 0xff;

    a.setBytes('volume.density', volume, 'volume/u8');
    const value = await b.waitForData('volume.density', 10_000);
    expect(value.pending).toBe(false);
    expect(value.ref?.size).toBe(volume.length);
    expect(Buffer.compare(Buffer.from(value.bytes!), Buffer.from(volume))).toBe(0);
    expect(b.status().pendingHydrations).toBe(0);
    expect(b.progress()).toEqual({ catchUps: [], hydrations: [] }); // nothing left under way
    await converged([a, b]);
  });

  it('rejects waitForData with TIMEOUT when the value never comes', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    await expect(a.waitForData('nothing.here', 50)).rejects.toSatisfy((e: unknown) => isStatemeshError(e, 'TIMEOUT'));
  });

  it('publishes metrics under __system, never replicated', async () => {
    cluster = testCluster();
    const a = await cluster.start('a', [], { metricsIntervalMs: 20 });
    const b = await cluster.start('b', ['a'], { metricsIntervalMs: 20 });
    a.set('x', 1);
    await waitFor('b applied a write', () => b.metrics().remote.applied >= 1);
    await waitFor('metrics in the tree', () => b.get('__system.distributed.test.remote.applied')?.value === b.metrics().remote.applied);
    expect(b.entries('__system.distributed.test.transport').map((e) => e.path)).toContain('__system.distributed.test.transport.peers');
    expect(a.entries('').some((e) => e.path.startsWith('__system'))).toBe(false);
    expect(a.get('__system.distributed.test.remote.applied')?.value).toBe(0);
    expect(() => a.set('__system.x', 1)).toThrow(/reserved/);
  });

  it('reports status and closes idempotently, releasing its socket', async () => {
    cluster = testCluster();
    const a: Session = await cluster.start('a');
    const b = await cluster.start('b', ['a']);
    await waitFor('connected', () => a.status().peerCount === 1);
    b.set('k', 1);
    await waitFor('a sees k', () => a.get('k') !== undefined);
    const status = a.status();
    expect(status).toMatchObject({ running: true, nodeId: 'a', clusterId: 'test', peerCount: 1, pendingHydrations: 0 });
    expect(status.peers[0]).toMatchObject({ node: 'b', state: 'up' });
    expect(b.status().localSequence).toBe(1);
    await b.close();
    await b.close();
    expect(b.status().running).toBe(false);
    await waitFor('a to see b go', () => a.status().peerCount === 0);
  });
});

describe('config', () => {
  it('fails fast with a message naming the field', async () => {
    const { join } = await import('@statemesh/session');
    await expect(join({ clusterId: 'c', nodeId: 'bad id', listen: '/tmp/x.sock' })).rejects.toThrow(/config\.nodeId/);
    await expect(join({ clusterId: 'c', nodeId: 'n' })).rejects.toThrow(/config\.listen or seeds/);
    await expect(join({ clusterId: 'c', nodeId: 'n', listen: '/tmp/x', pumpIntervalMs: 0 })).rejects.toThrow(/config\.pumpIntervalMs/);
    await expect(join({ clusterId: 'c', nodeId: 'n', listen: '/tmp/x', interests: ['bad..prefix'] })).rejects.toThrow(/config\.interests/);
    await expect(join({ clusterId: 'c', nodeId: 'n', listen: '/tmp/x', enforcePartition: true })).rejects.toThrow(/config\.partition/);
    await expect(join({ clusterId: 'c', nodeId: 'n', listen: '/tmp/x', lsiten: 'x' } as never)).rejects.toThrow(/config\.lsiten is not a known option/);
    await expect(join({ clusterId: 'c', nodeId: 'n', listen: '/tmp/x', requireTls: true })).rejects.toThrow(/config\.requireTls/);
  });
});
