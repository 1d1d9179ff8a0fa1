import { checkMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import type { Change } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const remote = (seq: number, path: string): CheckedMutation => checkMutation({
  origin: 'r', seq, hlc: pack({ wallMs: 1_700_000_000_000, logical: seq }), path, op: 'set', type: 'json', payload: new Uint8Array([49]),
});

describe('watch', () => {
  it('calls once per applied batch with the changes under the prefix, segment-aware', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const calls: Change[][] = [];
    s.watch('scene', (changes) => calls.push([...changes]));
    s.apply([remote(1, 'scene.a'), remote(2, 'scenery'), remote(3, 'scene.b')], 'peer');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((c) => [c.path, c.op, c.from])).toEqual([['scene.a', 'set', 'peer'], ['scene.b', 'set', 'peer']]);
    s.set('scene.c', 1);
    s.set('scenery.x', 1);
    s.delete('scene');
    expect(calls).toHaveLength(3);
    expect(calls[1]!.map((c) => [c.path, c.from])).toEqual([['scene.c', 'local']]);
    expect(calls[2]!.map((c) => `${c.path}:${c.op}`).sort((x, y) => x.localeCompare(y))).toEqual(['scene.a:delete', 'scene.b:delete', 'scene.c:delete']);
    s.apply([remote(1, 'scene.a')], 'peer'); // a duplicate changes nothing: no call
    expect(calls).toHaveLength(3);
  });

  it('never calls a listener re-entrantly: writes made inside a listener are delivered after it returns', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const log: string[] = [];
    let depth = 0;
    s.watch('', (changes) => {
      depth++;
      expect(depth).toBe(1);
      for (const change of changes) {
        log.push(change.path);
        if (change.path === 'a') s.set('b', 1);
        if (change.path === 'b') s.set('c', 1);
      }
      depth--;
    });
    s.set('a', 1);
    expect(log).toEqual(['a', 'b', 'c']);
  });

  it('stops after unsubscribe, and counts a listener that throws without stopping the others', () => {
    const lines: string[] = [];
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock(), logger: (line) => lines.push(line) });
    let seen = 0;
    s.watch('', () => {
      throw new Error('boom');
    });
    const stop = s.watch('', () => seen++);
    s.set('x', 1);
    stop();
    s.set('x', 2);
    expect(seen).toBe(1);
    expect(s.counters()['watch.errors']).toBe(2);
    expect(lines[0]).toMatch(/^@statemesh\/shard: a watch listener threw: boom/);
  });
});
