import { afterEach, describe, expect, it } from 'vitest';
import type { Change } from '@statemesh/session';
import { testCluster, waitFor, type TestCluster } from './cluster.ts';

let cluster: TestCluster;
afterEach(async () => cluster?.close());

describe('watch on a session', () => {
  it('with initial: true first delivers what a catch-up brought before the watch, then live changes with values', async () => {
    cluster = testCluster();
    const a = await cluster.start('a');
    a.set('scene.camera', { fov: 45 });
    a.set('scene.title', 'scan');
    const b = await cluster.start('b', ['a']);
    await waitFor('b to catch up', () => b.get('scene.title') !== undefined);
    const calls: Change[][] = [];
    const stop = b.watch('scene', (changes) => calls.push([...changes]), { initial: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((c) => [c.path, c.value, c.from])).toEqual([['scene.camera', { fov: 45 }, 'initial'], ['scene.title', 'scan', 'initial']]);
    const version = a.set('scene.camera', { fov: 60 });
    await waitFor('the live change', () => calls.length === 2);
    expect(calls[1]![0]).toMatchObject({ path: 'scene.camera', value: { fov: 60 }, version: { hlc: version.hlc, origin: version.origin, seq: version.seq } });
    expect(JSON.parse(JSON.stringify(calls[1]![0]!.version))).toEqual({ hlc: version.hlc.toString(), origin: version.origin, seq: version.seq });
    stop();
  });
});
