// Issue 13, findings 1 and 3: the incarnation and sequence a node keeps beside its blob store, and a record
// that can never keep it from starting.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { join } from '@statemesh/session';
import { SequenceMark } from '../src/sequence-mark.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const quiet = { log: () => undefined };

describe('SequenceMark', () => {
  it('keeps an incarnation and its highest sequence across reopenings, ignoring unusable raises', () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-mark-'));
    const fresh = SequenceMark.open(dir, 'n');
    expect([fresh.value, fresh.incarnation]).toEqual([0, undefined]);
    fresh.begin('abc123');
    fresh.raise(7);
    fresh.raise(3);
    fresh.raise(2 ** 53); // never a value a restart could not go on from
    fresh.raise(Number.NaN);
    fresh.close();
    const again = SequenceMark.open(dir, 'n');
    expect([again.value, again.incarnation]).toEqual([7, 'abc123']);
    expect(() => again.begin('Not valid')).toThrow(/incarnation/);
    again.close();
  });

  it('reads an older 8-byte mark as the plain node id, and an unusable one as empty', () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-mark-'));
    const old = Buffer.alloc(8);
    old.writeBigUInt64LE(5n);
    writeFileSync(joinPath(dir, 'statemesh-node-old.seq'), old);
    const huge = Buffer.alloc(8);
    huge.writeBigUInt64LE(2n ** 53n - 1n);
    writeFileSync(joinPath(dir, 'statemesh-node-huge.seq'), huge);
    for (const [id, expected] of [['old', [5, '']], ['huge', [0, undefined]]] as const) {
      const mark = SequenceMark.open(dir, id);
      expect([mark.value, mark.incarnation]).toEqual(expected);
      mark.close();
    }
  });
});

describe('join() and the sequence record', () => {
  it('resumes the recorded incarnation after its sequence, and starts a new one past an unusable record', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-mark-'));
    const config = { clusterId: 'c', nodeId: 'n', listen: joinPath(dir, 'n.sock'), blobStorePath: joinPath(dir, 'blobs') };
    const first = await join(config, quiet);
    const v1 = first.set('x', 1);
    first.set('y', 2);
    await first.close();
    expect(v1.origin).toMatch(/^n~[0-9a-z]{13}$/);

    const second = await join(config, quiet);
    const v3 = second.set('z', 3);
    await second.close();
    expect(v3).toMatchObject({ origin: v1.origin, seq: 3 });

    // A forged or corrupted record (a seq at 2^53 - 1) must not keep the node from starting, nor make it reuse.
    const huge = Buffer.alloc(24);
    huge.writeBigUInt64LE(2n ** 53n - 1n);
    huge.write(v1.origin.slice(2), 8, 'latin1');
    writeFileSync(joinPath(dir, 'blobs', 'statemesh-node-n.seq'), huge);
    const third = await join(config, quiet);
    const v = third.set('w', 4);
    await third.close();
    expect(v.seq).toBe(1);
    expect(v.origin).not.toBe(v1.origin);
  });

  it('gives every start without a store a new origin', async () => {
    dir = mkdtempSync(joinPath(tmpdir(), 'statemesh-mark-'));
    const config = { clusterId: 'c', nodeId: 'n', listen: joinPath(dir, 'n.sock') };
    const origins = [];
    for (let i = 0; i < 2; i++) {
      const session = await join(config, quiet);
      origins.push(session.set('x', i).origin);
      await session.close();
    }
    expect(new Set(origins).size).toBe(2);
  });
});
