import { describe, expect, it } from 'vitest';
import { fnv1a32, HashPartition } from '@statemesh/hash-ring';

const SPACE = 2 ** 32;
const brand = Symbol.for('@statemesh/error');
const statemeshError = (code: string) => expect.objectContaining({ name: 'StatemeshError', code, [brand]: true });

// A hash function that returns the number spelled by the key, to reach exact hashes such as 0 and 2^32 - 1.
const literal = (key: string): number => Number(key);

describe('HashPartition.uniform', () => {
  it('gives every hash exactly one owner for N = 1…64, including 0 and 2^32 − 1', () => {
    for (let n = 1; n <= 64; n++) {
      const nodes = Array.from({ length: n }, (_, i) => `node-${i}`);
      const partition = HashPartition.uniform(nodes, { hash: literal });
      const ranges = partition.ranges();
      expect(ranges.map((r) => r.node)).toEqual(nodes);
      expect(ranges[0]!.begin).toBe(0);
      expect(ranges.at(-1)!.end).toBe(SPACE);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]!.begin).toBe(ranges[i - 1]!.end);
      for (const r of ranges) expect(r.end - r.begin).toBeGreaterThanOrEqual(Math.floor(SPACE / n));
      expect(partition.ownerOf('0')).toBe('node-0');
      expect(partition.ownerOf(String(SPACE - 1))).toBe(`node-${n - 1}`);
      // Every range edge belongs to exactly the range that starts there.
      for (const r of ranges) {
        expect(partition.ownerOf(String(r.begin))).toBe(r.node);
        expect(partition.ownerOf(String(r.end - 1))).toBe(r.node);
      }
    }
  });

  it('lets a single node own everything', () => {
    const partition = HashPartition.uniform(['only']);
    expect(partition.ranges()).toEqual([{ node: 'only', begin: 0, end: SPACE }]);
    for (let i = 0; i < 100; i++) expect(partition.owns('only', `scene.obj.${i}`)).toBe(true);
  });

  it('spreads path-like keys evenly over 8 nodes with the default hash', () => {
    const nodes = Array.from({ length: 8 }, (_, i) => `node-${i}`);
    const partition = HashPartition.uniform(nodes);
    const counts = new Map<string, number>();
    for (let i = 0; i < 80_000; i++) {
      const owner = partition.ownerOf(`scene.obj.${i}.prop`)!;
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    }
    for (const node of nodes) expect(Math.abs(counts.get(node)! / 10_000 - 1)).toBeLessThan(0.05);
  });

  it('uses plain fnv1a32 when asked', () => {
    const partition = HashPartition.uniform(['a', 'b', 'c'], { hash: fnv1a32 });
    const h = fnv1a32('scene.camera');
    const owner = partition.ranges().find((r) => r.begin <= h && h < r.end)!.node;
    expect(partition.ownerOf('scene.camera')).toBe(owner);
  });

  it('refuses an empty list, an empty id and a duplicate', () => {
    expect(() => HashPartition.uniform([])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => HashPartition.uniform(['a', ''])).toThrow(statemeshError('INVALID_ID'));
    expect(() => HashPartition.uniform(['a', 'b', 'a'])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => HashPartition.uniform(['a', 'b', 'a'])).toThrow(/^@statemesh\/hash-ring: node "a" is listed twice/);
  });
});

describe('HashPartition.assign', () => {
  it('owns hashes in [begin, end) and leaves gaps unowned', () => {
    const partition = new HashPartition({ hash: literal }).assign('b', 100, 200).assign('a', 0, 50);
    expect(partition.ownerOf('0')).toBe('a');
    expect(partition.ownerOf('49')).toBe('a');
    expect(partition.ownerOf('50')).toBeUndefined();
    expect(partition.ownerOf('100')).toBe('b');
    expect(partition.ownerOf('199')).toBe('b');
    expect(partition.ownerOf('200')).toBeUndefined();
    expect(partition.owns('a', '10')).toBe(true);
    expect(partition.owns('b', '10')).toBe(false);
    expect(partition.ranges()).toEqual([
      { node: 'a', begin: 0, end: 50 },
      { node: 'b', begin: 100, end: 200 },
    ]);
  });

  it('lets one node own several ranges and accepts ranges that touch', () => {
    const partition = new HashPartition({ hash: literal })
      .assign('a', 0, 10)
      .assign('b', 10, 20)
      .assign('a', 20, SPACE);
    expect(partition.ownerOf('9')).toBe('a');
    expect(partition.ownerOf('10')).toBe('b');
    expect(partition.ownerOf('20')).toBe('a');
    expect(partition.ownerOf(String(SPACE - 1))).toBe('a');
  });

  it('refuses begin ≥ end, bounds and non-integers', () => {
    const partition = new HashPartition();
    expect(() => partition.assign('a', 10, 10)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => partition.assign('a', 20, 10)).toThrow(/0 ≤ begin < end ≤ 2\^32/);
    expect(() => partition.assign('a', -1, 10)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => partition.assign('a', 0, SPACE + 1)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => partition.assign('a', 0.5, 10)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => partition.assign('a', Number.NaN, 10)).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(partition.ranges()).toEqual([]);
  });

  it('refuses an empty node id', () => {
    expect(() => new HashPartition().assign('', 0, 10)).toThrow(statemeshError('INVALID_ID'));
  });

  it('refuses overlaps on either side and keeps the partition unchanged', () => {
    const partition = new HashPartition().assign('a', 100, 200);
    for (const [begin, end] of [
      [50, 101],
      [199, 300],
      [100, 200],
      [120, 130],
      [0, SPACE],
    ] as const) {
      expect(() => partition.assign('b', begin, end)).toThrow(statemeshError('INVALID_ARGUMENT'));
    }
    expect(() => partition.assign('b', 150, 160)).toThrow(/overlaps \[100, 200\) of node "a"/);
    expect(partition.ranges()).toEqual([{ node: 'a', begin: 100, end: 200 }]);
  });
});
