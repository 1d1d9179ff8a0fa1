import { checkEntries, checkMutation, checkMutations, entryProblem, isValidType, mutationProblem, type Entry, type Mutation } from '@statemesh/contracts';
import { describe, expect, it } from 'vitest';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const write = (seq: number, path: string): Mutation => ({ origin: 'a', seq, hlc: 1n << 20n, path, op: 'set', type: 'json', payload: bytes('1') });

describe('the structural rule of a write (what the wire decoder checks once)', () => {
  it('passes well-formed sets, deletes and entries, and names what is wrong with the others', () => {
    expect(mutationProblem(write(1, 'ok'))).toBeUndefined();
    expect(mutationProblem({ origin: 'a~0mx56dhn8b01f', seq: 2, hlc: 0n, path: '', op: 'delete', type: '' })).toBeUndefined();
    const bad: unknown[] = [
      { ...write(2, 'x'), path: 'bad path' },
      { ...write(1, 'x'), origin: 'bad id' },
      { ...write(3, 'x'), type: '' },
      { ...write(3, 'x'), type: 'a b' },
      { ...write(4, 'x'), seq: 0 },
      { ...write(5, 'x'), seq: 1.5 },
      { ...write(6, 'x'), hlc: 5 },
      { ...write(7, 'x'), hlc: -1n },
      { ...write(7, 'x'), hlc: 1n << 64n },
      { ...write(8, 'x'), op: 'merge' },
      { ...write(9, 'x'), payload: undefined },
      { ...write(10, 'x'), payload: { digest: 'nope', size: 1, codec: 'raw' } },
      { ...write(11, 'x'), prev: { origin: 'a', seq: -1, hlc: 1n } },
      { ...write(11, 'x'), prev: null },
      { ...write(12, ''), op: 'set' },
      { origin: 'a', seq: 13, hlc: 1n, path: 'x', op: 'delete', type: '', payload: bytes('1') },
      null,
    ];
    expect(bad.filter((m) => mutationProblem(m as Mutation) === undefined)).toEqual([]);
    const entry: Entry = { path: 'ok', version: { origin: 'a', seq: 1, hlc: 1n }, tombstone: false, type: 'json', payload: bytes('1'), prev: null };
    expect(entryProblem(entry)).toBeUndefined();
    expect(entryProblem({ ...entry, path: '' })).toBe(' is a value at the root path');
    expect(entryProblem({ ...entry, tombstone: 'yes' as unknown as boolean })).toBe('.tombstone is not a boolean');
    expect(entryProblem({ ...entry, version: { ...entry.version, seq: -2 } })).toBe('.version.seq -2 is not a positive integer');
  });

  it('checkMutations and checkEntries hand back checked writes, or throw INVALID_ARGUMENT naming the first bad one', () => {
    const good = [write(1, 'a'), write(2, 'b')];
    expect(checkMutations(good)).toBe(good);
    expect(() => checkMutations([write(1, 'a'), { ...write(2, 'b'), path: 'b..c' }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('mutations[1].path') }));
    expect(() => checkMutation({ ...write(1, 'a'), op: 'upsert' as 'set' })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => checkEntries([{ path: 'a', version: { origin: 'a', seq: 1, hlc: 1n }, tombstone: true, type: '', payload: bytes('1') }])).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('value types: 1-128 characters of [A-Za-z0-9_.+/-], starting with a letter or digit', () => {
    for (const type of ['json', 'volume/f32', 'a+b.c-d_e', 'x'.repeat(128)]) expect(isValidType(type)).toBe(true);
    for (const type of ['', '/x', 'a b', 'x'.repeat(129), 7]) expect(isValidType(type)).toBe(false);
  });
});
