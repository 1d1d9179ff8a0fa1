// Shard.load: the trusted bulk load of what a node's own store recovered (issue 15, restart). Loading then reading
// must give exactly what applyEntries then completeCatchUp would, over random histories.
import { checkEntries, checkEntry, type CheckedEntry, type SnapshotPage } from '@statemesh/contracts';
import { SeededRandom } from '@statemesh/contracts/testing';
import { Shard } from '@statemesh/shard';
import type { ChangeListener } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const PATHS = ['a', 'a.b', 'a.b.c', 'a.b.d', 'a.e', 'f', 'f.g', 'f.g.h', 'i'];

/** Three nodes writing, deleting and exchanging at random; returns the state one of them holds, as entries. */
function history(seed: number, time: ManualTime): { entries: CheckedEntry[]; vector: Record<string, number> } {
  const random = new SeededRandom(seed); // so a failing seed can be replayed
  const next = (): number => random.next();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const nodes = ['n1', 'n2', 'n3'].map((nodeId) => new Shard({ clusterId: 'c', nodeId, clock: time.clock() }));
  const steps = 20 + Math.floor(next() * 60);
  for (let step = 0; step < steps; step++) {
    time.ms += Math.floor(next() * 3);
    const node = pick(nodes);
    const roll = next();
    const path = pick(PATHS);
    if (roll < 0.5) node.set(path, Math.floor(next() * 1000));
    else if (roll < 0.6) node.setText(path, `text ${step}`);
    else if (roll < 0.65) node.setBytes(path, new Uint8Array(80).fill(step), 'blob-ish');
    else if (roll < 0.8) node.delete(path);
    else {
      const to = pick(nodes);
      if (to !== node) to.apply(node.drain(), node.nodeId);
    }
  }
  const held = pick(nodes);
  for (const other of nodes) if (other !== held && next() < 0.5) held.apply(other.drain(), other.nodeId);
  const pages = [...held.snapshot()];
  return { entries: pages.flatMap((p) => p.entries), vector: pages[pages.length - 1]!.vector! };
}

function fresh(time: ManualTime, nodeId = 'me'): Shard {
  return new Shard({ clusterId: 'c', nodeId, clock: time.clock() });
}

/** Everything a reader can see of a replica. */
function observed(shard: Shard): unknown {
  const pages: SnapshotPage[] = [...shard.snapshot()];
  return {
    digest: shard.digest(),
    entries: shard.entries().map((e) => [e.path, e.version, e.type, e.value]),
    snapshot: pages.flatMap((p) => p.entries).sort((x, y) => (x.path + String(x.tombstone) < y.path + String(y.tombstone) ? -1 : 1)),
    since: [...shard.since({ n1: 2 })].flatMap((p) => p.entries).map((e) => `${e.path} ${e.tombstone} ${e.version.origin}:${e.version.seq}`).sort((x, y) => (x < y ? -1 : 1)),
    under: shard.entries('a.b').map((e) => e.path),
    vector: shard.vector(),
    size: shard.size,
    tombstones: shard.tombstoneCount,
    pending: shard.pendingBlobs(),
  };
}

describe('Shard.load', () => {
  it('reads exactly as applyEntries then completeCatchUp, over 200 random histories, and after later writes too', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const time = new ManualTime();
      const { entries, vector } = history(seed, time);
      const checked = fresh(time);
      checked.applyEntries(entries, 'disk');
      checked.completeCatchUp(vector, 'disk');
      const loaded = fresh(time);
      loaded.load(entries, vector);
      expect(observed(loaded), `seed ${seed}`).toEqual(observed(checked));
      // The indexes behind reads (path order, origin index, tombstones) are the same: later writes land alike.
      const later: CheckedEntry[] = checkEntries([
        { path: 'a.b', version: { hlc: entries.reduce((m, e) => (e.version.hlc > m ? e.version.hlc : m), 0n) + 1n, origin: 'n2', seq: 10_000 }, tombstone: true, type: '' },
        { path: 'f.g.z', version: { hlc: 1n, origin: 'n3', seq: 10_001 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('1') },
      ]);
      for (const shard of [checked, loaded]) {
        shard.applyEntries(later, 'n2');
        shard.set('a.e', seed);
        shard.delete('f');
      }
      expect(observed(loaded), `seed ${seed}, later`).toEqual(observed(checked));
      expect(loaded.compactTombstones({ other: loaded.vector() })).toBe(checked.compactTombstones({ other: checked.vector() }));
      expect(observed(loaded), `seed ${seed}, compacted`).toEqual(observed(checked));
    }
  });

  it('keeps tombstones and prevs (a known prev, none, unknown) as they were stored', () => {
    const time = new ManualTime();
    const v = (seq: number): CheckedEntry['version'] => ({ hlc: BigInt(time.ms) << 16n | BigInt(seq), origin: 'n1', seq });
    const bytes = new TextEncoder().encode('"x"');
    const entries: CheckedEntry[] = checkEntries([
      { path: 'gone', version: v(1), tombstone: true, type: '', prev: { hlc: 1n, origin: 'n9', seq: 4 } },
      { path: 'gone', version: v(5), tombstone: false, type: 'json', payload: bytes, prev: null },
      { path: 'known', version: v(2), tombstone: false, type: 'json', payload: bytes, prev: { hlc: 1n, origin: 'n9', seq: 3 } },
      { path: 'unknown', version: v(3), tombstone: false, type: 'json', payload: bytes },
    ]);
    const loaded = fresh(time);
    loaded.load(entries, { n1: 5 });
    expect(loaded.tombstoneCount).toBe(1);
    expect(loaded.size).toBe(3);
    const snapshot = [...loaded.snapshot()].flatMap((p) => p.entries);
    const byKey = new Map(snapshot.map((e) => [`${e.path}:${e.tombstone}`, e]));
    expect(byKey.get('gone:true')!.prev).toEqual({ hlc: 1n, origin: 'n9', seq: 4 });
    // An entry's prev: null is "overwrote nothing", absent is "not known" (as the store keeps them).
    expect(byKey.get('gone:false')!.prev).toBeNull();
    expect(byKey.get('known:false')!.prev).toEqual({ hlc: 1n, origin: 'n9', seq: 3 });
    expect('prev' in byKey.get('unknown:false')!).toBe(false);
    expect(loaded.get('gone')?.value).toBe('x');
  });

  it('sets the vector once, never above its own counter', () => {
    const time = new ManualTime();
    const loaded = fresh(time);
    loaded.reserveSequence(7);
    const own = checkEntry({ path: 'mine', version: { hlc: BigInt(time.ms) << 16n, origin: 'me', seq: 6 }, tombstone: false, type: 'text', payload: new TextEncoder().encode('hi') });
    loaded.load([own], { me: 9, n1: 40, n2: 0 });
    expect(loaded.vector()).toEqual({ me: 7, n1: 40 });
    expect(loaded.get('mine')?.value).toBe('hi');
    expect(loaded.set('next', 1).seq).toBe(8);
  });

  it('is refused when the replica is not empty', () => {
    const time = new ManualTime();
    const written = fresh(time);
    written.set('x', 1);
    expect(() => written.load([], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringMatching(/^@statemesh\/shard: load needs an empty replica/) }));
    const deleted = fresh(time);
    deleted.delete('x');
    expect(() => deleted.load([], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const caughtUp = fresh(time);
    caughtUp.completeCatchUp({ n1: 3 });
    expect(() => caughtUp.load([], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const loaded = fresh(time);
    loaded.load([], { n1: 1 });
    expect(() => loaded.load([], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => fresh(time).load('no' as unknown as CheckedEntry[], {})).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('tells no watcher, and merges the greatest hybrid time into the clock', () => {
    const time = new ManualTime();
    const loaded = fresh(time);
    const calls: unknown[] = [];
    const listener: ChangeListener = (changes) => calls.push(changes);
    loaded.watch('', listener);
    const ahead = (BigInt(time.ms + 500) << 16n) | 3n;
    loaded.load(checkEntries([{ path: 'p', version: { hlc: ahead, origin: 'n1', seq: 1 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('1') }]), { n1: 1 });
    expect(calls).toEqual([]);
    expect(loaded.set('q', 2).hlc > ahead).toBe(true);
  });

  it('takes the checked path when it could refuse entries: interests, a seq of its own above its counter, clock drift', () => {
    const time = new ManualTime();
    const { entries, vector } = history(7, time);
    const narrow = new Shard({ clusterId: 'c', nodeId: 'me', clock: time.clock(), interests: ['a'] });
    narrow.load(entries, vector);
    expect(narrow.entries().every((e) => e.path === 'a' || e.path.startsWith('a.'))).toBe(true);
    const own = fresh(time);
    own.load(checkEntries([{ path: 'x', version: { hlc: BigInt(time.ms) << 16n, origin: 'me', seq: 3 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('1') }]), {});
    expect(own.get('x')).toBeUndefined(); // a seq this node never used: refused, as applyEntries refuses it
    const drifting = new Shard({ clusterId: 'c', nodeId: 'me', clock: time.clock(1000), logger: () => undefined });
    const far = (BigInt(time.ms + 60_000) << 16n);
    drifting.load(checkEntries([{ path: 'far', version: { hlc: far, origin: 'n1', seq: 1 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('1') }, { path: 'near', version: { hlc: BigInt(time.ms) << 16n, origin: 'n2', seq: 1 }, tombstone: false, type: 'json', payload: new TextEncoder().encode('2') }]), { n1: 1, n2: 1 });
    expect(drifting.get('far')).toBeUndefined();
    expect(drifting.get('near')?.value).toBe(2);
    // While a write refused for drift stands, the vector is not raised (it is all asked for again), as after applyEntries.
    expect(drifting.vector()).toEqual({});
  });
});
