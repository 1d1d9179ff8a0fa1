import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareVersions, mergeVectors, vectorCovers, type Version } from '@statemesh/contracts';

const version = fc.record({
  hlc: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  origin: fc.constantFrom('a', 'b', 'node-1', 'node-10', 'node-2'),
  seq: fc.integer({ min: 1, max: 1000 }),
});

describe('compareVersions', () => {
  it('orders by hlc, then origin byte-wise, then seq', () => {
    const v = (hlc: bigint, origin: string, seq: number): Version => ({ hlc, origin, seq });
    expect(compareVersions(v(2n, 'a', 1), v(1n, 'z', 9))).toBeGreaterThan(0);
    expect(compareVersions(v(1n, 'b', 1), v(1n, 'a', 9))).toBeGreaterThan(0);
    expect(compareVersions(v(1n, 'a', 2), v(1n, 'a', 1))).toBeGreaterThan(0);
    expect(compareVersions(v(1n, 'a', 1), v(1n, 'a', 1))).toBe(0);
    expect(compareVersions(v(1n, 'B', 1), v(1n, 'a', 1))).toBeLessThan(0); // byte order: 'B' (0x42) < 'a' (0x61)
    expect(compareVersions(v(1n << 60n, 'a', 1), v((1n << 60n) + 1n, 'a', 1))).toBeLessThan(0); // exact above 2^53
  });

  it('is a total order: antisymmetric and transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b))).toBe(-Math.sign(compareVersions(b, a)));
        const chained = compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0;
        expect(!chained || compareVersions(a, c) <= 0).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('version vectors', () => {
  it('merge element-wise and cover what they have applied', () => {
    const merged = mergeVectors({ a: 3, b: 1 }, { b: 4, c: 2 });
    expect(merged).toEqual({ a: 3, b: 4, c: 2 });
    expect(vectorCovers(merged, { origin: 'a', seq: 3 })).toBe(true);
    expect(vectorCovers(merged, { origin: 'a', seq: 4 })).toBe(false);
    expect(vectorCovers(merged, { origin: 'z', seq: 1 })).toBe(false);
  });
});
