import { checkMutation, isStatemeshError, versionFromJSON } from '@statemesh/contracts';
import type { CheckedMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import { Shard } from '@statemesh/shard';
import type { Change } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const json = (text: string): Uint8Array => new TextEncoder().encode(text);
const remote = (origin: string, seq: number, logical: number, path: string, text: string): CheckedMutation => checkMutation({
  origin, seq, hlc: pack({ wallMs: 1_700_000_000_000, logical }), path, op: 'set', type: 'json', payload: json(text),
});

describe('watch changes carry their value and version', () => {
  it('each change holds the value and version it applied, even when a later one in the batch replaced it', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const calls: Change[][] = [];
    s.watch('', (changes) => calls.push([...changes]));
    s.apply([remote('a', 1, 1, 'p', '{"v":1}'), remote('b', 1, 2, 'p', '{"v":2}'), remote('a', 2, 3, 'q', '7')], 'peer');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((c) => [c.path, c.value, c.version.origin, c.version.seq])).toEqual([['p', { v: 1 }, 'a', 1], ['p', { v: 2 }, 'b', 1], ['q', 7, 'a', 2]]);
    const version = s.set('t', 'text value');
    s.setText('u', 'plain');
    s.delete('p');
    expect(calls[1]![0]!).toMatchObject({ path: 't', op: 'set', value: 'text value', version, from: 'local' });
    expect(calls[2]![0]!.value).toBe('plain');
    expect(calls[3]!.map((c) => [c.path, c.op, c.value])).toEqual([['p', 'delete', undefined]]);
  });

  it('initial: true first delivers what is there, in one call before any later batch', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    s.set('scene.a', 1);
    s.set('scene.b', { x: [1, 2] });
    s.set('scenery', 3);
    const calls: Change[][] = [];
    s.watch('scene', (changes) => calls.push([...changes]), { initial: true });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((c) => [c.path, c.op, c.value, c.from])).toEqual([['scene.a', 'set', 1, 'initial'], ['scene.b', 'set', { x: [1, 2] }, 'initial']]);
    expect(calls[0]![0]!.version).toEqual(s.get('scene.a')!.version);
    s.set('scene.c', 4);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.map((c) => c.path)).toEqual(['scene.c']);
    // An empty subtree still gets its one initial call: the listener knows it has seen everything.
    const empty: Change[][] = [];
    s.watch('nothing', (changes) => empty.push([...changes]), { initial: true });
    expect(empty).toEqual([[]]);
  });

  it('a watch opened inside a listener gets its initial call after that listener returns, never re-entrantly', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const order: string[] = [];
    let inside = false;
    s.watch('', () => {
      inside = true;
      s.watch('a', (changes) => order.push(`inner:${changes.map((c) => c.path).join(',')}:${String(inside)}`), { initial: true });
      order.push('outer');
      inside = false;
    });
    s.set('a', 1);
    expect(order).toEqual(['outer', 'inner:a:false']);
  });
});

describe('versions and values as JSON', () => {
  it('JSON.stringify writes a version with the hlc as a decimal string, and versionFromJSON reads it back', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const version = s.set('a', 1);
    const text = JSON.stringify(version);
    expect(JSON.parse(text)).toEqual({ hlc: version.hlc.toString(), origin: 'n', seq: 1 });
    expect(versionFromJSON(JSON.parse(text))).toEqual(version);
    expect(JSON.parse(JSON.stringify(s.get('a')))).toMatchObject({ path: 'a', type: 'json', value: 1, version: { hlc: version.hlc.toString() } });
    let seen: Change[] = [];
    s.watch('', (changes) => (seen = [...changes]));
    s.set('b', { deep: true });
    expect(JSON.parse(JSON.stringify(seen))).toEqual([{ path: 'b', op: 'set', type: 'json', value: { deep: true }, version: JSON.parse(JSON.stringify(s.get('b')!.version)), pending: false, from: 'local' }]);
    expect(() => versionFromJSON({ hlc: 12, origin: 'n', seq: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => versionFromJSON({ hlc: '18446744073709551616', origin: 'n', seq: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('set refuses what JSON cannot represent with INVALID_ARGUMENT, never a TypeError or a silent null', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n' });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -Infinity, 1n, undefined, cycle, [1, undefined], { a: [Number.NaN] }, { b: 2n }, () => 1, Symbol('s')]) {
      let error: unknown;
      try {
        s.set('x', bad);
      } catch (caught) {
        error = caught;
      }
      expect([typeof bad, isStatemeshError(error, 'INVALID_ARGUMENT')]).toEqual([typeof bad, true]);
    }
    expect(s.get('x')).toBeUndefined();
    expect(s.localSeq).toBe(0); // nothing was stamped
    // What JSON can represent is taken, `null` text and an absent property included.
    s.set('y', { s: 'null', n: null, gone: undefined });
    expect(s.get('y')!.value).toEqual({ s: 'null', n: null });
  });

  it('decodes a json value once: every get hands out the same frozen value', () => {
    const a = new Shard({ clusterId: 'c', nodeId: 'a' });
    const b = new Shard({ clusterId: 'c', nodeId: 'b' });
    a.set('v', { list: [1, 2], nested: { k: 'x' } });
    a.set('n', 12345);
    b.apply(a.drain(), 'a');
    const first = b.get('v')!.value as { list: number[] };
    expect(b.get('v')!.value).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.list)).toBe(true);
    expect(b.get('n')!.value).toBe(12345);
    expect(new TextDecoder().decode(b.get('n')!.bytes)).toBe('12345');
    expect(b.digest()).toBe(a.digest());
  });

  it('keeps the exact bytes of a json value that is not in canonical form', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    s.apply([remote('a', 1, 1, 'p', '1.50'), remote('a', 2, 2, 'q', ' 7 '), remote('a', 3, 3, 'r', '-0')], 'peer');
    expect([s.get('p')!.value, s.get('q')!.value, s.get('r')!.value]).toEqual([1.5, 7, -0]);
    expect(['p', 'q', 'r'].map((path) => new TextDecoder().decode(s.get(path)!.bytes))).toEqual(['1.50', ' 7 ', '-0']);
    expect(s.counters()['rejected.size']).toBe(0);
  });
});
