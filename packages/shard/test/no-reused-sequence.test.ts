// Issue 13, findings 1 and 3: an (origin, seq) pair is never used twice, and no input from a peer advances this
// node's own counter.
import { MemoryBlobStore } from '@statemesh/blob-store';
import { pack } from '@statemesh/hlc';
import { checkEntry, checkMutation, isValidOrigin, nodeOfOrigin, type CheckedMutation } from '@statemesh/contracts';
import { Shard, isValidIncarnation, newIncarnation, originOf } from '@statemesh/shard';
import { describe, expect, it } from 'vitest';
import { ManualTime } from './manual-time.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

function write(origin: string, seq: number, path: string, wallMs = 1_700_000_000_000): CheckedMutation {
  return checkMutation({ origin, seq, hlc: pack({ wallMs, logical: 0 }), path, op: 'set', type: 'json', payload: bytes(String(seq)) });
}

describe('incarnations', () => {
  it('gives a node restarted with nothing a new origin, so its new writes are never taken for duplicates', () => {
    const time = new ManualTime();
    const a = new Shard({ clusterId: 'c', nodeId: 'a', incarnation: newIncarnation(time.ms), clock: time.clock() });
    const b = new Shard({ clusterId: 'c', nodeId: 'b', clock: time.clock() });
    for (const key of ['k1', 'k2', 'k3']) a.set(key, key);
    b.apply(a.drain(), 'a');

    // a is killed and restarts with no disk and no peer to ask: it numbers its writes from 1 again.
    time.ms += 5;
    const restarted = new Shard({ clusterId: 'c', nodeId: 'a', incarnation: newIncarnation(time.ms), clock: time.clock() });
    expect(restarted.origin).not.toBe(a.origin);
    const version = restarted.set('new1', 1);
    expect(version).toMatchObject({ origin: restarted.origin, seq: 1 });
    expect(b.apply(restarted.drain(), 'a')).toMatchObject({ applied: 1, duplicate: 0 });
    expect(b.get('new1')?.value).toBe(1);

    // And the restarted node gets back what it had written before, by catch-up.
    for (const page of b.since(restarted.vector())) restarted.applyPage(page, 'b');
    expect(restarted.digest()).toBe(b.digest());
    expect(restarted.get('k1')?.value).toBe('k1');
    expect(Object.keys(b.vector()).sort()).toEqual([a.origin, restarted.origin].sort());
  });

  it('is without an incarnation the plain node id, and the node id part of an origin', () => {
    const plain = new Shard({ clusterId: 'c', nodeId: 'a' });
    expect(plain.origin).toBe('a');
    const incarnation = newIncarnation(1_700_000_000_000);
    expect(isValidIncarnation(incarnation)).toBe(true);
    expect(incarnation).toHaveLength(13);
    const origin = originOf('node-1', incarnation);
    expect(isValidOrigin(origin)).toBe(true);
    expect(nodeOfOrigin(origin)).toBe('node-1');
    expect(nodeOfOrigin('node-1')).toBe('node-1');
    // Ids taken later sort later (the time part leads), and two taken in one millisecond still differ.
    expect(newIncarnation(1_700_000_000_001) > incarnation).toBe(true);
    const same = new Set(Array.from({ length: 50 }, () => newIncarnation(1_700_000_000_000)));
    expect(same.size).toBeGreaterThan(1);
    expect(() => new Shard({ clusterId: 'c', nodeId: 'a', incarnation: 'Not~valid' })).toThrow(/incarnation/);
    expect(isValidOrigin('a~')).toBe(false);
    expect(isValidOrigin(`${'x'.repeat(64)}~${'y'.repeat(17)}`)).toBe(false);
  });
});

describe('vectors across many restarts without state', () => {
  it('leave out incarnations that are over and of which nothing is held, yet still drop their duplicates', () => {
    const time = new ManualTime();
    const observer = new Shard({ clusterId: 'c', nodeId: 'o', clock: time.clock() });
    const batches: CheckedMutation[][] = [];
    let last: Shard | undefined;
    for (let run = 0; run < 50; run++) {
      time.ms += 10;
      last = new Shard({ clusterId: 'c', nodeId: 'n', incarnation: newIncarnation(time.ms), clock: time.clock() });
      last.set('scene.camera', run); // each run overwrites the one before
      if (run === 0) last.set('scene.kept', 'first'); // held for ever: its incarnation stays in the vector
      const batch = last.drain();
      batches.push(batch);
      observer.apply(batch, 'n');
    }
    const origins = Object.keys(observer.vector());
    expect(origins).toHaveLength(2);
    expect(origins).toContain(last!.origin);
    expect(observer.get('scene.kept')?.value).toBe('first');
    // An old batch relayed late is still a duplicate: the replica remembers what it saw of every incarnation.
    expect(observer.apply(batches[10]!, 'p')).toMatchObject({ applied: 0, duplicate: 1 });
    // A new replica catching up from the observer converges with the same small vector.
    const fresh = new Shard({ clusterId: 'c', nodeId: 'f', clock: time.clock() });
    for (const page of observer.since(fresh.vector())) fresh.applyPage(page, 'o');
    expect(fresh.digest()).toBe(observer.digest());
    expect(Object.keys(fresh.vector()).sort()).toEqual([...origins].sort());
  });
});

describe('a forged write under this node\'s own origin', () => {
  it('is refused, counted and logged once, and never raises the counter (seq 2^53 - 1 included)', () => {
    const lines: string[] = [];
    const victim = new Shard({ clusterId: 'c', nodeId: 'v', incarnation: 'abc', clock: new ManualTime().clock(), logger: (line) => lines.push(line) });
    victim.set('mine', 1);
    const forged = write(victim.origin, Number.MAX_SAFE_INTEGER, 'mine');
    for (let i = 0; i < 3; i++) {
      const result = victim.apply([forged, write(victim.origin, 2 + i, 'other')], 'mallory');
      expect(result).toMatchObject({ applied: 0, rejected: 2 });
      expect(result.reasons.map((r) => r.gate)).toEqual(['origin', 'origin']);
    }
    expect(victim.counters()['rejected.origin']).toBe(6);
    expect(lines.filter((line) => line.includes('mallory'))).toHaveLength(1);
    expect(victim.localSeq).toBe(1);
    expect(victim.get('mine')?.value).toBe(1);
    expect(victim.set('next', 2).seq).toBe(2);
    expect(victim.vector()).toEqual({ [victim.origin]: 2 });
  });

  it('is refused from a catch-up page too, and a page vector cannot raise the own counter or claim it', () => {
    const victim = new Shard({ clusterId: 'c', nodeId: 'v', clock: new ManualTime().clock(), logger: () => undefined });
    victim.set('mine', 1);
    const entry = checkEntry({ path: 'x', version: { hlc: pack({ wallMs: 1_700_000_000_000, logical: 0 }), origin: 'v', seq: 2 ** 53 - 1 }, tombstone: false, type: 'json', payload: bytes('1') });
    const result = victim.applyPage({ entries: [entry], last: true, vector: { v: 2 ** 53 - 1, p: 4 } }, 'mallory');
    expect(result).toMatchObject({ applied: 0, rejected: 1 });
    expect(victim.localSeq).toBe(1);
    expect(victim.vector()).toEqual({ v: 1, p: 4 });
    expect(victim.set('next', 2).seq).toBe(2);
  });

  it('still takes back its own older writes below a reserved sequence (a restart with its mark)', () => {
    const victim = new Shard({ clusterId: 'c', nodeId: 'v', clock: new ManualTime().clock() });
    victim.reserveSequence(3);
    expect(victim.apply([write('v', 2, 'old')], 'p')).toMatchObject({ applied: 1, rejected: 0 });
    expect(() => victim.reserveSequence(Number.MAX_SAFE_INTEGER)).toThrow(/below 2\^53/);
  });
});

describe('a node restarted under the same origin (its record kept)', () => {
  it('fetches its own large values of the earlier life that come back by catch-up', async () => {
    const time = new ManualTime();
    const before = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock(), blobStore: new MemoryBlobStore(), maxInlinePayloadBytes: 16 });
    before.setBytes('volume', new Uint8Array(1000).fill(7));
    await before.flushOffloads();
    const peer = new Shard({ clusterId: 'c', nodeId: 'p', clock: time.clock() });
    peer.apply(before.drain(), 'n');
    const restarted = new Shard({ clusterId: 'c', nodeId: 'n', clock: time.clock(), blobStore: new MemoryBlobStore(), maxInlinePayloadBytes: 16 });
    restarted.reserveSequence(1);
    for (const page of peer.since(restarted.vector())) restarted.applyPage(page, 'p');
    expect(restarted.get('volume')).toMatchObject({ pending: true });
    expect(restarted.pendingBlobs().map((p) => p.path)).toEqual(['volume']);
  });
});
