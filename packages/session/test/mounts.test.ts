// Issue 13, finding 8: authority per subtree, from the session config to the wire.
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig, type SessionConfig } from '@statemesh/session';
import { testCluster, waitFor, type TestCluster } from './cluster.ts';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const base = { clusterId: 'c', nodeId: 'n', listen: '/tmp/x.sock' } as const;
const invalid = (mounts: unknown) => () => resolveConfig({ ...base, mounts } as unknown as SessionConfig);

describe('config.mounts', () => {
  it('is validated, naming the field at fault', () => {
    expect(resolveConfig(base).mounts).toEqual([]);
    expect(resolveConfig({ ...base, mounts: [{ prefix: 'scene.camera', mode: 'authoritative' }, { prefix: '', mode: 'read-only' }] }).mounts).toEqual([
      { prefix: 'scene.camera', mode: 'authoritative' },
      { prefix: '', mode: 'read-only' },
    ]);
    const cases: Array<[unknown, string, RegExp]> = [
      ['scene', 'mounts', /config\.mounts must be an array/],
      [[null], 'mounts[0]', /config\.mounts\[0\] must be an object/],
      [[{ prefix: 'a..b', mode: 'read-only' }], 'mounts[0].prefix', /not "a\.\.b"/],
      [[{ prefix: 'a', mode: 'owner' }], 'mounts[0].mode', /'read-write', 'read-only', 'authoritative', not "owner"/],
      [[{ prefix: 'a', mode: 'read-only' }, { prefix: 'a', mode: 'read-write' }], 'mounts[1].prefix', /repeats "a"/],
      [[{ prefix: 'a', mode: 'read-only', writable: true }], 'mounts[0].writable', /not a known option/],
    ];
    for (const [mounts, field, message] of cases) {
      expect(invalid(mounts)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', details: { field } }));
      expect(invalid(mounts)).toThrow(/^@statemesh\/session: /);
      expect(invalid(mounts)).toThrow(message);
    }
  });
});

describe('a session with mounts', () => {
  it('authoritative: refuses a peer\'s writes under the mount, counts them, and its own writes there reach the peer', async () => {
    cluster = testCluster();
    const owner = await cluster.start('owner', [], { heartbeatIntervalMs: 50, mounts: [{ prefix: 'scene.camera', mode: 'authoritative' }] });
    const other = await cluster.start('other', ['owner'], { heartbeatIntervalMs: 50 });
    await waitFor('linked', () => owner.status().peerCount === 1 && other.status().peerCount === 1);
    other.set('scene.camera.fov', 90);
    other.set('scene.light', 'blue');
    await waitFor('the owner to take scene.light', () => owner.get('scene.light')?.value === 'blue');
    await waitFor('the refusal counted', () => owner.metrics().remote.rejected === 1);
    expect(owner.get('scene.camera.fov')).toBeUndefined();
    owner.set('scene.camera.fov', 45);
    await waitFor('the owner\'s write to reach the other', () => other.get('scene.camera.fov')?.value === 45);
    expect(other.metrics().remote.rejected).toBe(0);
  });

  it('read-only: refuses this node\'s writes under the mount with READ_ONLY naming it, takes the peer\'s', async () => {
    cluster = testCluster();
    const viewer = await cluster.start('viewer', [], { mounts: [{ prefix: 'scene', mode: 'read-only' }] });
    const writer = await cluster.start('writer', ['viewer']);
    await waitFor('linked', () => viewer.status().peerCount === 1);
    expect(() => viewer.set('scene.camera.fov', 1)).toThrow(expect.objectContaining({ code: 'READ_ONLY', message: expect.stringContaining('"scene"') }));
    viewer.set('notes.a', 1); // outside the mount
    writer.set('scene.camera.fov', 60);
    await waitFor('the viewer to take the writer\'s write', () => viewer.get('scene.camera.fov')?.value === 60);
    await waitFor('the writer to take the viewer\'s note', () => writer.get('notes.a')?.value === 1);
  });
});
