import { afterEach, describe, expect, it } from 'vitest';
import { join, type Session } from '@statemesh/session';
import { converged, freePort, testCluster, waitFor, type TestCluster } from './cluster.ts';

const quiet = { log: () => undefined };
let sessions: Session[] = [];
let cluster: TestCluster | undefined;
afterEach(async () => {
  await Promise.all(sessions.map((s) => s.close()));
  sessions = [];
  await cluster?.close();
  cluster = undefined;
});

describe('sessions over gRPC', () => {
  it('replicate with bearer tokens, and a node with a wrong token is refused', async () => {
    const port = await freePort();
    const auth = { expectedToken: 'secret-1', outboundToken: 'secret-1' };
    const a = await join({ clusterId: 'g', nodeId: 'a', transport: 'grpc', listen: `127.0.0.1:${port}`, auth, heartbeatIntervalMs: 200 }, quiet);
    const b = await join({ clusterId: 'g', nodeId: 'b', transport: 'grpc', seeds: [`127.0.0.1:${port}`], auth, heartbeatIntervalMs: 200, joinTimeoutMs: 3000 }, quiet);
    const intruder = await join(
      { clusterId: 'g', nodeId: 'x', transport: 'grpc', seeds: [`127.0.0.1:${port}`], auth: { outboundToken: 'wrong' }, heartbeatIntervalMs: 200, joinTimeoutMs: 200 },
      quiet,
    );
    sessions.push(a, b, intruder);

    b.set('scene.camera.fov', 45);
    await waitFor('a to see b', () => a.get('scene.camera.fov')?.value === 45);
    a.set('scene.title', 'over grpc');
    await waitFor('b to see a', () => b.get('scene.title')?.value === 'over grpc');
    await converged([a, b]);
    await waitFor('the refusal to be counted', () => a.metrics().transport.authFailures > 0);
    expect(intruder.get('scene.title')).toBeUndefined();
    expect(a.status().peers.map((p) => p.node)).not.toContain('x');
  });

  it('bridges an IPC group and a gRPC node through one node', async () => {
    cluster = testCluster('bridge');
    const port = await freePort();
    const a = await cluster.start('a');
    // b speaks IPC to a, and gRPC to c.
    const b = await cluster.start('b', ['a'], { bridges: [{ transport: 'grpc', listen: `127.0.0.1:${port}` }] });
    const c = await join({ clusterId: 'bridge', nodeId: 'c', transport: 'grpc', seeds: [`127.0.0.1:${port}`], heartbeatIntervalMs: 200, joinTimeoutMs: 3000 }, quiet);
    sessions.push(c);
    await waitFor('b to see a and c', () => b.status().peerCount === 2);

    a.set('from.ipc', 1);
    c.set('from.grpc', 2);
    await waitFor('c to see a (IPC, then gRPC)', () => c.get('from.ipc')?.value === 1);
    await waitFor('a to see c (gRPC, then IPC)', () => a.get('from.grpc')?.value === 2);
    expect(await converged([a, b, c])).toBe(c.digest());
    expect(b.status().peers.map((p) => p.node).sort()).toEqual(['a', 'c']);
  });
});
