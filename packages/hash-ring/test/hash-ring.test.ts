import { describe, expect, it } from 'vitest';
import { fnv1a32, HashRing } from '@statemesh/hash-ring';

const brand = Symbol.for('@statemesh/error');
const statemeshError = (code: string) => expect.objectContaining({ name: 'StatemeshError', code, [brand]: true });
const KEYS = Array.from({ length: 200_000 }, (_, i) => `scene.obj.${i}.prop`);
const nodeIds = (n: number) => Array.from({ length: n }, (_, i) => `node-${i}`);

function ringOf(nodes: readonly string[], options?: ConstructorParameters<typeof HashRing>[0]): HashRing {
  const ring = new HashRing(options);
  for (const node of nodes) ring.add(node);
  return ring;
}

function loads(ring: HashRing, keys: readonly string[]): Map<string, number> {
  const counts = new Map(ring.nodes().map((node) => [node, 0]));
  for (const key of keys) {
    const owner = ring.ownerOf(key)!;
    counts.set(owner, counts.get(owner)! + 1);
  }
  return counts;
}

function spread(counts: Map<string, number>): { cv: number; maxOverMean: number } {
  const values = [...counts.values()];
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return { cv: Math.sqrt(variance) / mean, maxOverMean: Math.max(...values) / mean };
}

describe('HashRing balance and movement', () => {
  it('balances 200k path-like keys over 10 nodes × 160 vnodes: CV ≤ 5%, max/mean ≤ 1.10', () => {
    const { cv, maxOverMean } = spread(loads(ringOf(nodeIds(10)), KEYS));
    expect(cv).toBeLessThanOrEqual(0.05);
    expect(maxOverMean).toBeLessThanOrEqual(1.1);
  });

  it('stays balanced for other node names', () => {
    for (const prefix of ['n', 'shard-', 'host', '10.0.0.']) {
      const { maxOverMean } = spread(loads(ringOf(nodeIds(10).map((id) => id.replace('node-', prefix))), KEYS));
      expect(maxOverMean).toBeLessThanOrEqual(1.1);
    }
  });

  it('moves at most 1.1 × 1/11 of the keys when an 11th node joins, all of them to that node', () => {
    const ring = ringOf(nodeIds(10));
    const before = KEYS.map((key) => ring.ownerOf(key));
    ring.add('node-10');
    const movedTo = new Map<string | undefined, number>();
    for (let i = 0; i < KEYS.length; i++) {
      const after = ring.ownerOf(KEYS[i]!);
      if (after !== before[i]) movedTo.set(after, (movedTo.get(after) ?? 0) + 1);
    }
    expect([...movedTo.keys()]).toEqual(['node-10']);
    const moved = movedTo.get('node-10')!;
    expect(moved / KEYS.length).toBeLessThanOrEqual(1.1 / 11);
    expect(moved / KEYS.length).toBeGreaterThan(0.5 / 11);
  });

  it('moves only the keys of a removed node, and removing it restores the old placement', () => {
    const ring = ringOf(nodeIds(10));
    const keys = KEYS.slice(0, 50_000);
    const before = keys.map((key) => ring.ownerOf(key));
    ring.remove('node-3');
    const during = keys.map((key) => ring.ownerOf(key));
    const changedOwnersOfOthers = keys.filter((_, i) => before[i] !== 'node-3' && during[i] !== before[i]);
    expect(changedOwnersOfOthers).toEqual([]);
    expect(during).not.toContain('node-3');
    expect(before).toContain('node-3');
    ring.add('node-3');
    expect(keys.map((key) => ring.ownerOf(key))).toEqual(before);
  });

  it('places keys the same whatever order the nodes were added in', () => {
    const a = ringOf(nodeIds(10));
    const b = ringOf(nodeIds(10).reverse());
    for (const key of KEYS.slice(0, 20_000)) expect(b.ownerOf(key)).toBe(a.ownerOf(key));
  });

  it('gives a node of weight 2 about twice the keys of a node of weight 1', () => {
    const ring = new HashRing().add('small').add('big', 2).add('other');
    const counts = loads(ring, KEYS.slice(0, 60_000));
    const ratio = counts.get('big')! / ((counts.get('small')! + counts.get('other')!) / 2);
    expect(ratio).toBeGreaterThan(1.8);
    expect(ratio).toBeLessThan(2.2);
  });

  it('also works as a classic single-probe ring with plain fnv1a32', () => {
    const ring = ringOf(nodeIds(5), { probes: 1, hash: fnv1a32, vnodes: 100 });
    const counts = loads(ring, KEYS.slice(0, 20_000));
    for (const count of counts.values()) expect(count).toBeGreaterThan(0);
    const before = KEYS.slice(0, 20_000).map((key) => ring.ownerOf(key));
    ring.add('node-5');
    const after = KEYS.slice(0, 20_000).map((key) => ring.ownerOf(key));
    const movedTo = new Set(after.filter((owner, i) => owner !== before[i]));
    expect([...movedTo]).toEqual(['node-5']);
  });
});

describe('HashRing.owners', () => {
  it('returns n distinct nodes, the owner first', () => {
    const ring = ringOf(nodeIds(10));
    for (const key of KEYS.slice(0, 2_000)) {
      const owners = ring.owners(key, 3);
      expect(owners).toHaveLength(3);
      expect(new Set(owners).size).toBe(3);
      expect(owners[0]).toBe(ring.ownerOf(key));
    }
  });

  it('returns every node at most once when n exceeds the node count, and nothing for n = 0', () => {
    const ring = ringOf(['a', 'b', 'c']);
    expect(new Set(ring.owners('scene.x', 10))).toEqual(new Set(['a', 'b', 'c']));
    expect(ring.owners('scene.x', 10)).toHaveLength(3);
    expect(ring.owners('scene.x', 0)).toEqual([]);
  });

  it('keeps replicas on the surviving nodes when a replica leaves', () => {
    const ring = ringOf(nodeIds(6));
    const before = ring.owners('scene.camera.fov', 3);
    ring.remove(before[1]!);
    const after = ring.owners('scene.camera.fov', 3);
    expect(after).toContain(before[0]);
    expect(after).toContain(before[2]);
  });
});

describe('HashRing edge cases and errors', () => {
  it('has no owner while empty, and lists its nodes in insertion order', () => {
    const ring = new HashRing();
    expect(ring.ownerOf('scene')).toBeUndefined();
    expect(ring.owners('scene', 2)).toEqual([]);
    ring.add('b').add('a');
    expect(ring.nodes()).toEqual(['b', 'a']);
    ring.remove('b').remove('not-there');
    expect(ring.nodes()).toEqual(['a']);
    expect(ring.ownerOf('scene')).toBe('a');
  });

  it('works with a single vnode per node', () => {
    const ring = ringOf(['a', 'b'], { vnodes: 1, probes: 1 });
    const owners = new Set(KEYS.slice(0, 1000).map((key) => ring.ownerOf(key)));
    expect([...owners].every((o) => o === 'a' || o === 'b')).toBe(true);
  });

  it('refuses an empty node id, a duplicate node and a bad weight', () => {
    const ring = new HashRing().add('a');
    expect(() => ring.add('')).toThrow(statemeshError('INVALID_ID'));
    expect(() => ring.add(undefined as unknown as string)).toThrow(statemeshError('INVALID_ID'));
    expect(() => ring.add('a')).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => ring.add('a')).toThrow(/^@statemesh\/hash-ring: node "a" is already on the ring/);
    for (const weight of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e9]) {
      expect(() => ring.add('b', weight)).toThrow(statemeshError('INVALID_ARGUMENT'));
    }
    expect(ring.nodes()).toEqual(['a']);
  });

  it('refuses bad options and a bad replica count', () => {
    expect(() => new HashRing({ vnodes: 0 })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => new HashRing({ vnodes: 1.5 })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => new HashRing({ probes: 0 })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => new HashRing({ probes: 17 })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => new HashRing().owners('k', -1)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => new HashRing().owners('k', 1.5)).toThrow(statemeshError('INVALID_ARGUMENT'));
  });
});
