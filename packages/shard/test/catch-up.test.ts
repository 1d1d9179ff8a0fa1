import { checkMutation } from '@statemesh/contracts';
import { pack } from '@statemesh/hlc';
import type { CheckedMutation } from '@statemesh/contracts';
import { Shard } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

function replica(nodeId: string, time: ManualTime, interests?: string[]): Shard {
  return new Shard({ clusterId: 'c', nodeId, clock: time.clock(), ...(interests === undefined ? {} : { interests }) });
}

describe('since(vector)', () => {
  it('yields only what a peer at that vector lacks, tombstones included, in pages, with the vector last', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    for (let i = 0; i < 50; i++) source.set(`k.${i}`, i);
    const peer = replica('b', time);
    peer.apply(source.drain(), 'a');
    source.set('k.3', 'changed');
    source.delete('k.4');
    source.set('fresh', true);
    const pages = [...source.since(peer.vector(), { pageSize: 2 })];
    expect(pages.map((p) => p.entries.length)).toEqual([2, 1]);
    expect(pages.map((p) => p.last)).toEqual([false, true]);
    expect(pages[0]!.vector).toBeUndefined();
    expect(pages[1]!.vector).toEqual({ a: 53 });
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map((e) => [e.path, e.tombstone, e.version.seq])).toEqual([['k.3', false, 51], ['k.4', true, 52], ['fresh', false, 53]]);
    for (const page of pages) peer.applyPage(page, 'a');
    expect(peer.digest()).toBe(source.digest());
    expect(peer.vector()).toEqual({ a: 53 });
    expect([...source.since(peer.vector())].flatMap((p) => p.entries)).toEqual([]);
  });

  it('raises the vector only when the last page was applied: a catch-up cut short is asked for again', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    for (let i = 0; i < 10; i++) source.set(`k${i}`, i);
    source.drain();
    const peer = replica('b', time);
    const pages = [...source.since(peer.vector(), { pageSize: 3 })];
    peer.applyPage(pages[0]!, 'a');
    expect(peer.vector()).toEqual({});
    const again = [...source.since(peer.vector(), { pageSize: 3 })];
    for (const page of again) peer.applyPage(page, 'a');
    expect(peer.vector()).toEqual({ a: 10 });
    expect(peer.digest()).toBe(source.digest());
    expect(peer.size).toBe(10);
  });

  it('narrows to prefixes, including a tombstone above a prefix', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    source.set('scene.a', 1);
    source.set('scenery', 2);
    source.delete('');
    source.set('scene.b', 3);
    const paths = [...source.since({}, { prefixes: ['scene'] })].flatMap((p) => p.entries.map((e) => `${e.path}${e.tombstone ? '†' : ''}`));
    expect(paths.sort()).toEqual(['scene.b', '†']);
  });
});

describe('snapshot', () => {
  it('carries full versions, and merging it never re-stamps', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    const v = source.set('scene.camera', { fov: 45 });
    source.set('other', 1);
    source.delete('gone');
    const target = replica('b', time);
    for (const page of source.snapshot(['scene'])) target.applyPage(page, 'a');
    expect(target.get('scene.camera')).toMatchObject({ value: { fov: 45 }, version: v });
    expect(target.get('other')).toBeUndefined();
    expect(target.drain()).toEqual([]);
    expect(target.localSeq).toBe(0);
    const all = [...source.snapshot()].flatMap((p) => p.entries);
    expect(all.map((e) => [e.path, e.tombstone])).toEqual([['gone', true], ['scene.camera', false], ['other', false]]);
  });

  it('merges into a replica that holds newer and older data by last-writer-wins', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    source.set('x', 'old');
    const target = replica('b', time);
    time.ms += 5;
    target.set('x', 'newer');
    target.set('y', 'mine');
    const result = target.applyEntries([...source.snapshot()].flatMap((p) => p.entries), 'a');
    expect(result).toMatchObject({ applied: 0, stale: 1 });
    expect(target.get('x')?.value).toBe('newer');
  });

  it('answers a transport request with since or snapshot', () => {
    const time = new ManualTime();
    const source = replica('a', time);
    source.set('x', 1);
    source.set('y', 2);
    expect([...source.pages({ prefixes: [], vector: { a: 1 } })].flatMap((p) => p.entries).map((e) => e.path)).toEqual(['y']);
    expect([...source.pages({ prefixes: ['x'] })].flatMap((p) => p.entries).map((e) => e.path)).toEqual(['x']);
  });
});

describe('since index', () => {
  it('stays correct after overwrites, out-of-order arrivals and a snapshot merge', () => {
    const time = new ManualTime();
    const s = replica('n', time);
    const hlc = pack({ wallMs: time.ms, logical: 1 });
    const m = (seq: number, path: string): CheckedMutation => checkMutation({ origin: 'o', seq, hlc: hlc + BigInt(seq), path, op: 'set', type: 'json', payload: new Uint8Array([48]) });
    s.apply([m(5, 'e'), m(2, 'b'), m(9, 'b'), m(1, 'a'), m(7, 'g')], 'p');
    for (let i = 0; i < 3000; i++) s.set(`local.${i % 10}`, i); // many dead items for this node's origin
    const lacking = [...s.since({ o: 4, n: 2995 })].flatMap((p) => p.entries).map((e) => `${e.version.origin}${e.version.seq}`);
    expect(lacking.sort()).toEqual(['n2996', 'n2997', 'n2998', 'n2999', 'n3000', 'o5', 'o7', 'o9'].sort());
  });

  it('finds seqs beyond 32 bits', () => {
    const time = new ManualTime();
    const s = replica('n', time);
    const big = 2 ** 32 + 10;
    const m = (seq: number, path: string): CheckedMutation => checkMutation({ origin: 'o', seq, hlc: pack({ wallMs: time.ms, logical: 1 }) + BigInt(seq % 1000), path, op: 'set', type: 'json', payload: new Uint8Array([48]) });
    s.apply([m(3, 'a'), m(big, 'b'), m(big + 1, 'c')], 'p');
    expect([...s.since({ o: big })].flatMap((p) => p.entries).map((e) => e.path)).toEqual(['c']);
    expect([...s.since({ o: 3 })].flatMap((p) => p.entries).map((e) => e.path)).toEqual(['b', 'c']);
  });
});
