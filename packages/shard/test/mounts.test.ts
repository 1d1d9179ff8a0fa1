// Issue 13, finding 8: authority per subtree.
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const replica = (nodeId: string, time: ManualTime, mounts?: ConstructorParameters<typeof Shard>[0]['mounts']) =>
  new Shard({ clusterId: 'c', nodeId, clock: time.clock(), mounts, logger: () => undefined });

describe('mounts', () => {
  it('read-only: refuses this node\'s writes there with READ_ONLY, takes other nodes\' writes', () => {
    const time = new ManualTime();
    const viewer = replica('viewer', time, [{ prefix: 'scene', mode: 'read-only' }, { prefix: 'scene.notes', mode: 'read-write' }]);
    const writer = replica('writer', time);
    for (const write of [() => viewer.set('scene.camera', 1), () => viewer.delete('scene.camera'), () => viewer.delete(''), () => viewer.setText('scene', 'x')]) {
      expect(write).toThrow(expect.objectContaining({ code: 'READ_ONLY' }));
    }
    expect(() => viewer.set('scene.camera.fov', 1)).toThrow(/^@statemesh\/shard: "scene.camera.fov" is under the read-only mount "scene"/);
    expect(viewer.set('scene.notes.a', 'mine').seq).toBe(1); // the more specific mount wins
    expect(viewer.set('scenery', 1).seq).toBe(2); // segment-aware
    writer.set('scene.camera', { fov: 45 });
    expect(viewer.apply(writer.drain(), 'writer')).toMatchObject({ applied: 1, rejected: 0 });
    expect(viewer.get('scene.camera')?.value).toEqual({ fov: 45 });
  });

  it('authoritative: refuses remote writes there, counts them, and never claims them in the vector', () => {
    const time = new ManualTime();
    const owner = replica('owner', time, [{ prefix: 'sim', mode: 'authoritative' }]);
    const other = replica('other', time);
    other.set('sim.step', 1); // seq 1: refused by the owner
    other.set('ui.theme', 'dark'); // seq 2: taken
    other.delete(''); // seq 3: a delete covering the owner's subtree, refused
    const result = owner.apply(other.drain(), 'other');
    expect(result).toMatchObject({ applied: 1, rejected: 2 });
    expect(result.reasons.map((r) => r.gate)).toEqual(['authority', 'authority']);
    expect(result.relay.map((m) => m.seq)).toEqual([2]);
    expect(owner.counters()['rejected.authority']).toBe(2);
    expect(owner.vector()['other'] ?? 0).toBe(0);
    // A catch-up does not claim the refused delete either (seq 1 is gone from the sender: its delete replaced it).
    for (const page of other.since(owner.vector())) owner.applyPage(page, 'other');
    expect(owner.counters()['rejected.authority']).toBe(3);
    expect(owner.vector()['other']).toBe(2);
    expect(owner.get('ui.theme')?.value).toBe('dark');
    // This node writes there freely.
    expect(owner.set('sim.step', 2).seq).toBe(1);
    expect(owner.get('sim.step')?.value).toBe(2);
  });

  it('refuses a bad mount list with INVALID_CONFIG', () => {
    const time = new ManualTime();
    expect(() => replica('n', time, [{ prefix: 'a..b', mode: 'read-only' }])).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => replica('n', time, [{ prefix: 'a', mode: 'owner' as 'read-only' }])).toThrow(/use one of read-write, read-only, authoritative/);
    expect(() => replica('n', time, [{ prefix: 'a', mode: 'read-only' }, { prefix: 'a', mode: 'read-write' }])).toThrow(/twice/);
  });
});
