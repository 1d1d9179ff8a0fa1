import { checkMutation, isUnder } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { PathTree } from '../src/path-tree.ts';
import { Tombstone } from '../src/path-record.ts';
import { ManualTime } from './manual-time.ts';

function filled(paths: readonly string[]): PathTree {
  const tree = new PathTree();
  for (const [i, path] of paths.entries()) tree.setValue(path, tree.get(path), BigInt(i + 1), 'a', i + 1, 'json', i, undefined);
  return tree;
}

function under(tree: PathTree, prefix: string): string[] {
  const out: string[] = [];
  tree.forEachUnder(prefix, (path) => out.push(path));
  return out;
}

const remoteDelete = (seq: number, path: string, wallMs: number): CheckedMutation => checkMutation({ origin: 'r', seq, hlc: pack({ wallMs, logical: 0 }), path, op: 'delete', type: '' });

describe('the path tree', () => {
  it('walks a subtree in path order, segment-aware: scene never takes scenery or scene-x', () => {
    const tree = filled(['scenery', 'scene.b', 'scene-x', 'scene', 'scene.a.z', 'scene.a', 'scen', 'scene0', 'other']);
    expect(under(tree, 'scene')).toEqual(['scene', 'scene.a', 'scene.a.z', 'scene.b']);
    expect(under(tree, 'scene.a')).toEqual(['scene.a', 'scene.a.z']);
    expect(under(tree, 'scen')).toEqual(['scen']);
    expect(under(tree, 'nothing')).toEqual([]);
    expect(under(tree, '')).toEqual(['other', 'scen', 'scene', 'scene-x', 'scene.a', 'scene.a.z', 'scene.b', 'scene0', 'scenery']);
  });

  it('keeps the walk exact through many additions, removals and re-additions (chunks split and compacted)', () => {
    const tree = new PathTree();
    const held = new Set<string>();
    let seq = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 3000; i++) {
        const path = `s.o${(i * 7 + round * 13) % 2000}.k${i % 3}`;
        tree.setValue(path, tree.get(path), BigInt(++seq), 'a', seq, 'json', 1, undefined);
        held.add(path);
      }
      // Walk between rounds (placing the additions), then remove a share of what is held.
      expect(under(tree, 's.o1')).toEqual([...held].filter((p) => isUnder(p, 's.o1')).sort());
      for (const path of Array.from(held)) {
        if (path.length % 3 === round % 3) {
          tree.removeValue(path, tree.get(path)!);
          held.delete(path);
        }
      }
      expect(tree.size).toBe(held.size);
    }
    for (const prefix of ['', 's', 's.o1', 's.o19', 's.o1999', 's.o5.k1']) {
      expect(under(tree, prefix)).toEqual([...held].filter((p) => isUnder(p, prefix)).sort());
    }
  });

  it('keeps a record while it holds a tombstone and drops it once it holds nothing', () => {
    const tree = filled(['a.b']);
    const record = tree.setTombstone('a.b', new Tombstone(9n, 'a', 9, undefined));
    tree.removeValue('a.b', record);
    expect(tree.get('a.b')?.tombstone?.seq).toBe(9);
    expect(tree.coveringTombstone('a.b.c')?.[0]).toBe('a.b');
    tree.removeTombstone('a.b', record);
    expect(tree.get('a.b')).toBeUndefined();
    expect(under(tree, 'a')).toEqual([]);
    expect(tree.tombstoneCount).toBe(0);
  });
});

describe('subtree deletes on a shard', () => {
  it('a newer delete above takes the older tombstones under it; an older one leaves the newer below in place', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n', clock: new ManualTime(1_700_000_000_000).clock() });
    s.apply([remoteDelete(1, 'a.b', 1_700_000_000_010), remoteDelete(2, 'a.c.d', 1_700_000_000_020), remoteDelete(3, 'x', 1_700_000_000_030)], 'p');
    expect(s.tombstoneCount).toBe(3);
    s.apply([remoteDelete(4, 'a', 1_700_000_000_015)], 'p'); // newer than a.b, older than a.c.d
    expect(s.tombstoneCount).toBe(3); // a.b gone, a and a.c.d and x held
    expect(s.snapshot().next().value!.entries.filter((e) => e.tombstone).map((e) => e.path).sort()).toEqual(['a', 'a.c.d', 'x']);
    s.apply([remoteDelete(5, '', 1_700_000_000_040)], 'p'); // the root: newer than all
    expect(s.tombstoneCount).toBe(1);
  });

  it('deletes a one-leaf subtree of a large tree without touching its neighbours', () => {
    const s = new Shard({ clusterId: 'c', nodeId: 'n' });
    for (let i = 0; i < 20_000; i++) s.set(`scene.obj${i}.k`, i);
    s.delete('scene.obj1');
    expect(s.get('scene.obj1.k')).toBeUndefined();
    expect(s.get('scene.obj10.k')?.value).toBe(10);
    expect(s.entries('scene.obj1').map((e) => e.path)).toEqual([]);
    expect(s.entries('scene.obj19999').map((e) => e.path)).toEqual(['scene.obj19999.k']);
    expect(s.size).toBe(19_999);
  });
});
