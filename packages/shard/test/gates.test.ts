import { checkMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation } from '@statemesh/contracts';
import { HashPartition } from '@statemesh/hash-ring';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function write(origin: string, seq: number, path: string, value = '1', hlc = pack({ wallMs: 1_700_000_000_000, logical: seq })): CheckedMutation {
  return checkMutation({ origin, seq, hlc, path, op: 'set', type: 'json', payload: bytes(value) });
}

describe('the duplicate gate', () => {
  it('drops a mutation seen before by (origin, seq), also out of order and within one batch', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    expect(s.apply([write('a', 1, 'x'), write('a', 3, 'y')], 'p')).toMatchObject({ applied: 2, duplicate: 0 });
    expect(s.vector()).toEqual({ a: 1 }); // 3 is held beyond the gap
    expect(s.apply([write('a', 3, 'y'), write('a', 1, 'x'), write('a', 2, 'z'), write('a', 2, 'z')], 'p')).toMatchObject({ applied: 1, duplicate: 3 });
    expect(s.vector()).toEqual({ a: 3 });
    expect(s.counters()['remote.duplicates']).toBe(3);
  });
});

describe('the interest gate', () => {
  it('is segment-aware: interest "scene" takes scene and scene.x, never scenery', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', interests: ['scene'], clock: new ManualTime().clock() });
    const result = s.apply([write('a', 1, 'scene'), write('a', 2, 'scene.x'), write('a', 3, 'scenery'), write('a', 4, 'other.scene')], 'p');
    expect(result).toMatchObject({ applied: 2, rejected: 2 });
    expect(result.reasons.map((r) => [r.gate, r.path])).toEqual([['interest', 'scenery'], ['interest', 'other.scene']]);
    expect(result.reasons[0]!.reason).toBe("path 'scenery' is outside the interests of node 'n' (scene)");
    expect(s.entries().map((e) => e.path)).toEqual(['scene', 'scene.x']);
    expect(s.counters()['rejected.interest']).toBe(2);
    // rejected for interest still counts as processed: the vector moves on, and the writes are offered for relay
    expect(s.vector()).toEqual({ a: 4 });
    expect(result.relay).toHaveLength(4);
  });

  it('takes a delete of an ancestor of an interest, which affects the subtree held', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', interests: ['scene.a'], clock: new ManualTime().clock() });
    s.apply([write('a', 1, 'scene.a.x')], 'p');
    const del = checkMutation({ origin: 'b', seq: 1, hlc: pack({ wallMs: 1_700_000_000_001, logical: 0 }), path: 'scene', op: 'delete', type: '' });
    expect(s.apply([del], 'p')).toMatchObject({ applied: 1, rejected: 0 });
    expect(s.size).toBe(0);
  });
});

describe('the partition gate', () => {
  it('rejects remote sets of paths owned by another node, naming both', () => {
    const partition = HashPartition.uniform(['n1', 'n2']);
    const s = new Shard({ clusterId: 'c', nodeId: 'n1', partition, enforcePartition: true, clock: new ManualTime().clock() });
    const paths = Array.from({ length: 40 }, (_, i) => `p.k${i}`);
    const mine = paths.filter((p) => partition.ownerOf(p) === 'n1');
    const theirs = paths.filter((p) => partition.ownerOf(p) === 'n2');
    expect(mine.length).toBeGreaterThan(0);
    expect(theirs.length).toBeGreaterThan(0);
    const result = s.apply(paths.map((p, i) => write('a', i + 1, p)), 'peer');
    expect(result.applied).toBe(mine.length);
    expect(result.rejected).toBe(theirs.length);
    expect(result.reasons[0]).toMatchObject({ gate: 'partition', reason: `path '${theirs[0]}' partitioned to node 'n2', not 'n1'` });
    expect(s.counters()['rejected.partition']).toBe(theirs.length);
    expect(s.entries().map((e) => e.path).sort()).toEqual([...mine].sort());
  });

  it('is off by default', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n1', partition: HashPartition.uniform(['n1', 'n2']), clock: new ManualTime().clock() });
    expect(s.apply(Array.from({ length: 20 }, (_, i) => write('a', i + 1, `p.k${i}`)), 'peer').applied).toBe(20);
  });
});

describe('the size gate', () => {
  // The shape of a remote write is checked once, by the wire decoder (contracts' mutationProblem, tested there):
  // the shard applies CheckedMutations as they are. What it still refuses is its own limit.
  it('rejects an inline payload above maxValueBytes', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', maxValueBytes: 4, clock: new ManualTime().clock() });
    const result = s.apply([write('a', 1, 'x', '"12345"'), write('a', 2, 'y', '"1"')], 'p');
    expect(result).toMatchObject({ applied: 1, rejected: 1 });
    expect(result.reasons[0]).toMatchObject({ gate: 'size', origin: 'a', seq: 1, path: 'x' });
    expect(s.counters()['rejected.size']).toBe(1);
    expect(s.vector()).toEqual({}); // seq 1 refused, so not seen: the vector does not claim it (nor seq 2 past the gap)
  });
});

describe('the clock gate', () => {
  it('merges accepted remote times into the clock, so local writes follow them', () => {
    const time = new ManualTime();
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock() });
    const ahead = pack({ wallMs: time.ms + 5_000, logical: 7 });
    s.apply([write('a', 1, 'x', '1', ahead)], 'p');
    const mine = s.set('x', 2);
    expect(mine.hlc > ahead).toBe(true);
    expect(s.get('x')?.value).toBe(2);
  });

  it('rejects a write whose time is beyond the drift bound, with the reason, and keeps the rest', () => {
    const time = new ManualTime();
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock(1000) });
    const far = pack({ wallMs: time.ms + 60_000, logical: 0 });
    const result = s.apply([write('a', 1, 'x'), write('b', 1, 'y', '1', far)], 'p');
    expect(result).toMatchObject({ applied: 1, rejected: 1 });
    expect(result.reasons[0]).toMatchObject({ gate: 'clock', origin: 'b', seq: 1, path: 'y' });
    expect(result.reasons[0]!.reason).toMatch(/drift|ahead/i);
    expect(s.get('y')).toBeUndefined();
    expect(s.counters()['rejected.clock']).toBe(1);
    // not recorded as seen: the same write is taken once the clocks agree
    expect(s.vector()).toEqual({ a: 1 });
    time.ms += 60_000;
    expect(s.apply([write('b', 1, 'y', '1', far)], 'p').applied).toBe(1);
  });
});

describe('resolution', () => {
  it('keeps the greater version whatever the arrival order, and counts the loser as stale', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const newer = write('a', 2, 'x', '"new"', pack({ wallMs: 1_700_000_000_002, logical: 0 }));
    const older = write('a', 1, 'x', '"old"', pack({ wallMs: 1_700_000_000_001, logical: 0 }));
    expect(s.apply([newer], 'p').applied).toBe(1);
    expect(s.apply([older], 'p')).toMatchObject({ applied: 0, stale: 1 });
    expect(s.get('x')?.value).toBe('new');
  });

  it('breaks a hybrid-time tie by origin, then seq', () => {
    const hlc = pack({ wallMs: 1_700_000_000_000, logical: 3 });
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    s.apply([write('b', 1, 'x', '"b"', hlc), write('a', 1, 'x', '"a"', hlc)], 'p');
    expect(s.get('x')?.value).toBe('b');
  });

  it('lets a remote write overwrite a local one only when it is newer (local writes take part)', () => {
    const time = new ManualTime();
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock() });
    s.set('x', 'local');
    const older = write('a', 1, 'x', '"remote"', pack({ wallMs: time.ms - 1, logical: 0 }));
    expect(s.apply([older], 'p').stale).toBe(1);
    expect(s.get('x')?.value).toBe('local');
  });

  it('refuses a write under its own origin with a seq it never used: a peer cannot advance its counter', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock(), logger: () => undefined });
    const result = s.apply([write('n', 7, 'x')], 'p');
    expect(result).toMatchObject({ applied: 0, rejected: 1 });
    expect(result.reasons[0]).toMatchObject({ gate: 'origin', origin: 'n', seq: 7 });
    expect(s.get('x')).toBeUndefined();
    expect(s.set('y', 1).seq).toBe(1);
  });
});

describe('reading what peers wrote', () => {
  it('reports a json value whose bytes are not JSON with CORRUPT_INPUT, and keeps the bytes readable', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    s.apply([write('a', 1, 'x', '{not json')], 'p');
    expect(() => s.get('x')).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }));
    s.apply([{ ...write('a', 2, 'y', 'plain'), type: 'text' }], 'p');
    expect(s.get('y')?.value).toBe('plain');
  });

  it('keeps non-ASCII and binary payloads byte for byte', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime().clock() });
    const binary = new Uint8Array([0, 255, 128, 7]);
    s.apply([write('a', 1, 'j', '"héllo"'), { ...write('a', 2, 'b'), type: 'bytes', payload: binary }], 'p');
    expect(s.get('j')?.value).toBe('héllo');
    expect(s.get('b')?.bytes).toEqual(binary);
    const entries = [...s.snapshot()].flatMap((p) => p.entries);
    expect(new TextDecoder().decode(entries[0]!.payload as Uint8Array)).toBe('"héllo"');
  });
});

