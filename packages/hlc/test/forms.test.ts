import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENCODED_BYTES,
  type HybridTime,
  MAX_LOGICAL,
  MAX_WALL_MS,
  compare,
  decode,
  encode,
  format,
  pack,
  parse,
  unpack,
} from '@statemesh/hlc';

const RUNS = 2000;
const time = fc.record({
  wallMs: fc.oneof(fc.integer({ min: 0, max: MAX_WALL_MS }), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 37, MAX_WALL_MS)),
  logical: fc.oneof(fc.integer({ min: 0, max: MAX_LOGICAL }), fc.constantFrom(0, 1, 0xff, 0x100, MAX_LOGICAL)),
});
const sign = (n: number) => Math.sign(n);
const byteOrder = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b);
const textOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const bigintOrder = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

// Values that are not HybridTimes, each with the part the error message must name.
const invalidTimes: Array<[string, unknown, RegExp]> = [
  ['negative wall', { wallMs: -1, logical: 0 }, /wallMs must be an integer from 0 to 2\^48 - 1.*got -1/],
  ['fractional wall', { wallMs: 1.5, logical: 0 }, /wallMs .*got 1\.5/],
  ['NaN wall', { wallMs: Number.NaN, logical: 0 }, /wallMs .*got NaN/],
  ['Infinity wall', { wallMs: Number.POSITIVE_INFINITY, logical: 0 }, /wallMs .*got Infinity/],
  ['wall beyond 48 bits', { wallMs: 2 ** 48, logical: 0 }, /wallMs .*got 281474976710656/],
  ['wall as a string', { wallMs: '5', logical: 0 }, /wallMs .*got "5"/],
  ['negative logical', { wallMs: 1, logical: -1 }, /logical must be an integer from 0 to 2\^16 - 1.*got -1/],
  ['fractional logical', { wallMs: 1, logical: 0.5 }, /logical .*got 0\.5/],
  ['NaN logical', { wallMs: 1, logical: Number.NaN }, /logical .*got NaN/],
  ['logical beyond 16 bits', { wallMs: 1, logical: 0x10000 }, /logical .*got 65536/],
  ['missing logical', { wallMs: 1 }, /logical .*got undefined/],
];

describe('compare', () => {
  it('orders by wall time, then by the logical counter', () => {
    expect(compare({ wallMs: 1, logical: 9 }, { wallMs: 2, logical: 0 })).toBeLessThan(0);
    expect(compare({ wallMs: 2, logical: 0 }, { wallMs: 1, logical: 9 })).toBeGreaterThan(0);
    expect(compare({ wallMs: 2, logical: 1 }, { wallMs: 2, logical: 2 })).toBeLessThan(0);
    expect(compare({ wallMs: 2, logical: 2 }, { wallMs: 2, logical: 2 })).toBe(0);
  });

  it('is antisymmetric and agrees with the packed integers', () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        expect(compare(a, b)).toBe(-compare(b, a) || 0);
        expect(compare(a, b)).toBe(bigintOrder(pack(a), pack(b)));
      }),
      { numRuns: RUNS },
    );
  });

  it.each(invalidTimes)('throws RangeError for a %s', (_, bad, message) => {
    expect(() => compare(bad as HybridTime, { wallMs: 0, logical: 0 })).toThrow(RangeError);
    expect(() => compare({ wallMs: 0, logical: 0 }, bad as HybridTime)).toThrow(message);
  });

  it('throws TypeError for something that is not a HybridTime at all', () => {
    expect(() => compare(null as unknown as HybridTime, { wallMs: 0, logical: 0 })).toThrow(TypeError);
    expect(() => compare(5 as unknown as HybridTime, { wallMs: 0, logical: 0 })).toThrow(/a must be a HybridTime/);
  });
});

describe('pack / unpack', () => {
  it('packs wallMs * 2^16 + logical exactly, also far above 2^53', () => {
    expect(pack({ wallMs: 0, logical: 0 })).toBe(0n);
    expect(pack({ wallMs: 1, logical: 2 })).toBe(65538n);
    expect(pack({ wallMs: 1_764_010_105_123, logical: 7 })).toBe(1_764_010_105_123n * 65536n + 7n);
    expect(pack({ wallMs: 1_764_010_105_123, logical: 7 }) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(pack({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL })).toBe(2n ** 64n - 1n);
    // Neighbours above 2^53 stay distinct (a float would round them together).
    expect(pack({ wallMs: 2 ** 40, logical: 1 }) - pack({ wallMs: 2 ** 40, logical: 0 })).toBe(1n);
  });

  it('round-trips and preserves order', () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        expect(unpack(pack(a))).toEqual(a);
        expect(bigintOrder(pack(a), pack(b))).toBe(compare(a, b));
      }),
      { numRuns: RUNS },
    );
  });

  it('unpacks every 64-bit integer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (packed) => {
        const t = unpack(packed);
        expect(BigInt(t.wallMs) * 65536n + BigInt(t.logical)).toBe(packed);
        expect(pack(t)).toBe(packed);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses bigints outside 0 … 2^64 - 1 with RangeError and non-bigints with TypeError', () => {
    expect(() => unpack(-1n)).toThrow(RangeError);
    expect(() => unpack(2n ** 64n)).toThrow(/from 0 to 2\^64 - 1, got 18446744073709551616n/);
    expect(() => unpack(5 as unknown as bigint)).toThrow(TypeError);
  });

  it.each(invalidTimes)('pack throws RangeError for a %s', (_, bad, message) => {
    expect(() => pack(bad as HybridTime)).toThrow(RangeError);
    expect(() => pack(bad as HybridTime)).toThrow(message);
  });
});

describe('encode / decode', () => {
  it('writes the packed value as 8 big-endian bytes', () => {
    expect(ENCODED_BYTES).toBe(8);
    expect([...encode({ wallMs: 0x0102_0304_0506, logical: 0x0708 })]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...encode({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL })]).toEqual(Array(8).fill(0xff));
    expect([...encode({ wallMs: 0, logical: 1 })]).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('agrees with the packed value, round-trips and sorts byte-wise like the times', () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        const bytes = encode(a);
        expect(bytes.length).toBe(8);
        expect(Buffer.from(bytes).readBigUInt64BE()).toBe(pack(a));
        expect(decode(bytes)).toEqual(a);
        expect(sign(byteOrder(bytes, encode(b)))).toBe(compare(a, b));
      }),
      { numRuns: RUNS },
    );
  });

  it('decodes every 8-byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 8, maxLength: 8 }), (bytes) => {
        expect([...encode(decode(bytes))]).toEqual([...bytes]);
      }),
      { numRuns: RUNS },
    );
  });

  it('decodes a view into a larger buffer', () => {
    const buffer = new Uint8Array(16);
    buffer.set(encode({ wallMs: 1_764_010_105_123, logical: 3 }), 4);
    expect(decode(buffer.subarray(4, 12))).toEqual({ wallMs: 1_764_010_105_123, logical: 3 });
  });

  it('refuses any length but 8 with RangeError, and non-bytes with TypeError', () => {
    expect(() => decode(new Uint8Array(7))).toThrow(RangeError);
    expect(() => decode(new Uint8Array(9))).toThrow(/exactly 8 bytes, got 9/);
    expect(() => decode(new Uint8Array(0))).toThrow(/got 0/);
    expect(() => decode([1, 2, 3, 4, 5, 6, 7, 8] as unknown as Uint8Array)).toThrow(TypeError);
  });

  it.each(invalidTimes)('encode throws RangeError for a %s', (_, bad, message) => {
    expect(() => encode(bad as HybridTime)).toThrow(message);
  });
});

describe('format / parse', () => {
  it('writes 15 wall digits, a dash and 5 logical digits', () => {
    expect(format({ wallMs: 1_764_010_105_123, logical: 7 })).toBe('001764010105123-00007');
    expect(format({ wallMs: 0, logical: 0 })).toBe('000000000000000-00000');
    expect(format({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL })).toBe('281474976710655-65535');
  });

  it('has a fixed width, round-trips and sorts as strings like the times', () => {
    fc.assert(
      fc.property(time, time, (a, b) => {
        const text = format(a);
        expect(text).toHaveLength(21);
        expect(parse(text)).toEqual(a);
        expect(textOrder(text, format(b))).toBe(compare(a, b));
      }),
      { numRuns: RUNS },
    );
  });

  it('sorts a list of strings in time order with a plain sort()', () => {
    fc.assert(
      fc.property(fc.array(time, { maxLength: 30 }), (times) => {
        const byText = times.map(format).sort().map(parse);
        const byTime = [...times].sort(compare);
        expect(byText).toEqual(byTime);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['', /got ""/],
    ['1764010105123-7', /15 digits/],
    ['001764010105123-000070', /15 digits/],
    ['001764010105123_00007', /15 digits/],
    [' 001764010105123-00007', /15 digits/],
    ['00176401010512a-00007', /15 digits/],
    ['-01764010105123-00007', /15 digits/],
    ['281474976710656-00000', /beyond the range/],
    ['000000000000000-65536', /beyond the range/],
  ])('parse refuses %j with RangeError', (text, message) => {
    expect(() => parse(text)).toThrow(RangeError);
    expect(() => parse(text)).toThrow(message);
  });

  it('parse refuses a non-string with TypeError', () => {
    expect(() => parse(12 as unknown as string)).toThrow(TypeError);
  });

  it.each(invalidTimes)('format throws RangeError for a %s', (_, bad, message) => {
    expect(() => format(bad as HybridTime)).toThrow(message);
  });
});
