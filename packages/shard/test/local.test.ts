import { isStatemeshError } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

function shard(nodeId = 'a', time = new ManualTime()): Shard {
  return new Shard({ clusterId: 'c1', nodeId, clock: time.clock() });
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isStatemeshError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('local writes', () => {
  it('sets and gets json, text and bytes with versions stamped at write time', () => {
    const time = new ManualTime();
    const s = shard('a', time);
    const v1 = s.set('scene.camera.fov', 45);
    time.ms += 10;
    const v2 = s.setText('scene.title', 'héllo');
    const v3 = s.setBytes('scene.mask', new Uint8Array([1, 2, 3]), 'mask/u8');
    expect(s.get('scene.camera.fov')).toMatchObject({ type: 'json', value: 45, pending: false, version: v1 });
    expect(s.get('scene.title')?.value).toBe('héllo');
    expect(s.get('scene.mask')).toMatchObject({ type: 'mask/u8', value: new Uint8Array([1, 2, 3]) });
    expect([v1.seq, v2.seq, v3.seq]).toEqual([1, 2, 3]);
    expect(v2.hlc > v1.hlc && v3.hlc > v2.hlc).toBe(true);
    expect(Number(v2.hlc >> 16n)).toBe(time.ms);
    expect(s.get('scene.nothing')).toBeUndefined();
  });

  it('copies the bytes given to setBytes', () => {
    const s = shard();
    const bytes = new Uint8Array([7]);
    s.setBytes('x', bytes);
    bytes[0] = 9;
    expect(s.get('x')?.bytes).toEqual(new Uint8Array([7]));
  });

  it('drains local writes in seq order with the version each overwrote', () => {
    const s = shard();
    const v1 = s.set('a.b', 1);
    s.set('a.b', 2);
    const d = s.delete('a');
    const drained = s.drain(2);
    expect(drained.map((m) => [m.seq, m.op, m.path])).toEqual([[1, 'set', 'a.b'], [2, 'set', 'a.b']]);
    expect(drained[0]!.prev).toBeUndefined();
    expect(drained[1]!.prev).toEqual(v1);
    expect(new TextDecoder().decode(drained[1]!.payload as Uint8Array)).toBe('2');
    const rest = s.drain();
    // nothing was stored at 'a' itself, so the delete overwrote nothing there
    expect(rest).toEqual([{ origin: 'a', seq: 3, hlc: d.hlc, path: 'a', op: 'delete', type: '' }]);
    expect(s.drain()).toEqual([]);
    expect(s.vector()).toEqual({ a: 3 });
  });

  it('drains in parts without losing or repeating a write', () => {
    const s = shard();
    for (let i = 0; i < 6000; i++) s.set(`k.${i % 100}`, i);
    const first = s.drain(5000);
    for (let i = 0; i < 10; i++) s.delete(`k.${i}`);
    expect(s.outboxSize).toBe(1010);
    const rest = [...s.drain(7), ...s.drain()];
    expect([...first, ...rest].map((m) => m.seq)).toEqual(Array.from({ length: 6010 }, (_, i) => i + 1));
    expect(rest.at(-1)).toMatchObject({ op: 'delete', path: 'k.9', type: '' });
  });

  it('a write after a delete records the tombstone as what it overwrote', () => {
    const s = shard();
    const d = s.delete('scene');
    s.set('scene.x', 1);
    expect(s.drain()[1]!.prev).toEqual(d);
  });

  it('deletes a subtree, segment-aware', () => {
    const s = shard();
    s.set('scene', 0);
    s.set('scene.a', 1);
    s.set('scene.a.b', 2);
    s.set('scenery', 3);
    s.delete('scene');
    expect(s.entries().map((e) => e.path)).toEqual(['scenery']);
    s.set('scene.a', 4);
    expect(s.entries('scene')).toMatchObject([{ path: 'scene.a', value: 4 }]);
    s.delete('');
    expect(s.size).toBe(0);
  });

  it('lists entries under a prefix, sorted, never matching a longer segment', () => {
    const s = shard();
    for (const path of ['scene.b', 'scene.a', 'scenery', 'scene']) s.set(path, path);
    expect(s.entries('scene').map((e) => e.path)).toEqual(['scene', 'scene.a', 'scene.b']);
  });

  it('refuses bad input with stable codes', () => {
    const s = shard();
    expect(codeOf(() => s.set('bad path', 1))).toBe('INVALID_PATH');
    expect(codeOf(() => s.set('a..b', 1))).toBe('INVALID_PATH');
    expect(codeOf(() => s.set('', 1))).toBe('INVALID_PATH');
    expect(codeOf(() => s.get('x.'))).toBe('INVALID_PATH');
    expect(codeOf(() => s.set(`${'a'.repeat(129)}`, 1))).toBe('INVALID_PATH');
    expect(codeOf(() => s.setBytes('x', new Uint8Array(1), 'bad type'))).toBe('INVALID_TYPE');
    expect(codeOf(() => s.setBytes('x', new Uint8Array(1), ''))).toBe('INVALID_TYPE');
    expect(codeOf(() => s.set('x', undefined))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => s.setBytes('x', new Uint8Array(65_537)))).toBe('VALUE_TOO_LARGE');
    expect(codeOf(() => s.setText('x', 'é'.repeat(40_000)))).toBe('VALUE_TOO_LARGE');
    expect(codeOf(() => s.set('__system.metrics', 1))).toBe('RESERVED_PATH');
    expect(codeOf(() => s.delete('__system'))).toBe('RESERVED_PATH');
    expect(codeOf(() => new Shard({ clusterId: 'c', nodeId: 'a b' }))).toBe('INVALID_ID');
    expect(codeOf(() => new Shard({ clusterId: '', nodeId: 'a' }))).toBe('INVALID_ID');
    expect(codeOf(() => new Shard({ clusterId: 'c', nodeId: 'a', enforcePartition: true }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => new Shard({ clusterId: 'c', nodeId: 'a', maxInlinePayloadBytes: -1 }))).toBe('INVALID_CONFIG');
    expect(codeOf(() => s.apply([], 'not an id'))).toBe('INVALID_ID');
    // nothing half-done: the failed writes left no trace
    expect(s.size).toBe(0);
    expect(s.localSeq).toBe(0);
    expect(s.drain()).toEqual([]);
  });

  it('lets the library write under __system with the internal option', () => {
    const s = shard();
    s.set('__system.distributed.c1.remote.applied', 3, { system: true });
    expect(s.get('__system.distributed.c1.remote.applied')?.value).toBe(3);
  });

  it('gives messages that name the package and say what to do', () => {
    const s = shard();
    expect(() => s.setBytes('x', new Uint8Array(70_000))).toThrow(/^@statemesh\/shard: .*blobStore/);
  });
});
