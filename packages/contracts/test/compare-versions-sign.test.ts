// compareVersions answers exactly -1, 0 or 1, in its type as in its values (seq differences included).
import { describe, expect, expectTypeOf, it } from 'vitest';
import { compareVersions, type Version } from '@statemesh/contracts';

const v = (hlc: bigint, origin: string, seq: number): Version => ({ hlc, origin, seq });

describe('compareVersions returns -1 | 0 | 1', () => {
  it('is typed -1 | 0 | 1', () => {
    expectTypeOf(compareVersions).returns.toEqualTypeOf<-1 | 0 | 1>();
  });

  it('gives -1 or 1 however far apart the seqs are, and 0 for the same version', () => {
    expect(compareVersions(v(1n, 'a', 9), v(1n, 'a', 2))).toBe(1);
    expect(compareVersions(v(1n, 'a', 2), v(1n, 'a', 1_000_000))).toBe(-1);
    expect(compareVersions(v(5n, 'a', 1), v(1n, 'z', 9))).toBe(1);
    expect(compareVersions(v(1n, 'b', 1), v(1n, 'c', 1))).toBe(-1);
    expect(compareVersions(v(1n, 'a', 3), v(1n, 'a', 3))).toBe(0);
  });
});
