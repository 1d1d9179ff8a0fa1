import { describe, expect, it } from 'vitest';
import { fmix32, fnv1a32, fnv1a32Mixed } from '@statemesh/hash-ring';

// Published FNV-1a 32-bit test vectors (Landon Curt Noll's FNV test suite).
const FNV1A32_VECTORS: Array<[string, number]> = [
  ['', 0x811c9dc5],
  ['a', 0xe40c292c],
  ['b', 0xe70c2de5],
  ['c', 0xe60c2c52],
  ['d', 0xe10c2473],
  ['e', 0xe00c22e0],
  ['f', 0xe30c2799],
  ['fo', 0x6222e842],
  ['foo', 0xa9f37ed7],
  ['foob', 0x3f5076ef],
  ['fooba', 0x39aaa18a],
  ['foobar', 0xbf9cf968],
];

describe('fnv1a32', () => {
  it.each(FNV1A32_VECTORS)('matches the published vector for %j', (input, expected) => {
    expect(fnv1a32(input)).toBe(expected);
    expect(fnv1a32(new TextEncoder().encode(input))).toBe(expected);
  });

  it('hashes a string exactly as its UTF-8 bytes, including multi-byte and lone surrogates', () => {
    const samples = ['é', 'scene.ĉamera', '日本語のパス', '😀 emoji', 'a\u{10ffff}z', '\ud800', 'x\udc00y', '\ud83d'];
    for (let i = 0; i < 200; i++) {
      let s = '';
      for (let j = 0; j < 12; j++) s += String.fromCharCode((i * 7919 + j * 104729) % 0x10000);
      samples.push(s);
    }
    for (const sample of samples) expect(fnv1a32(sample)).toBe(fnv1a32(new TextEncoder().encode(sample)));
  });

  it('returns unsigned 32-bit integers', () => {
    for (let i = 0; i < 1000; i++) {
      const h = fnv1a32(`scene.obj.${i}.prop`);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
  });

  it('refuses input that is neither a string nor bytes', () => {
    expect(() => fnv1a32(42 as unknown as string)).toThrow(
      expect.objectContaining({ name: 'StatemeshError', code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('fmix32', () => {
  it('is the murmur3 finalizer (MurmurHash3_x86_32 of empty input with seed s is fmix32(s))', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).toBe(0x514e28b7);
    expect(fmix32(0xffffffff)).toBe(0x81f16f39);
  });

  it('is a bijection on a sample and returns unsigned values', () => {
    const seen = new Set<number>();
    let outOfRange = 0;
    for (let i = 0; i < 100_000; i++) {
      const h = fmix32(i * 65_537);
      if (!(Number.isInteger(h) && h >= 0 && h < 2 ** 32)) outOfRange++;
      seen.add(h);
    }
    expect(outOfRange).toBe(0);
    expect(seen.size).toBe(100_000);
  });

  it('fnv1a32Mixed is fmix32 over fnv1a32', () => {
    expect(fnv1a32Mixed('scene.camera.fov')).toBe(fmix32(fnv1a32('scene.camera.fov')));
  });
});
