import { describe, expect, it } from 'vitest';
import { crc32c } from '@statemesh/store-fs';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('crc32c', () => {
  // RFC 3720 (iSCSI) appendix B.4, and the classic check value of "123456789".
  it.each([
    ['123456789', ascii('123456789'), 0xe3069283],
    ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xff', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['32 ascending bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['32 descending bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
    ['the empty string', new Uint8Array(0), 0],
    ['"a"', ascii('a'), 0xc1d04330],
    ['"The quick brown fox jumps over the lazy dog"', ascii('The quick brown fox jumps over the lazy dog'), 0x22620404],
  ])('matches the known value for %s', (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it('continues across pieces and ranges exactly as over the whole', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31 + 7) & 0xff);
    const whole = crc32c(bytes);
    for (const cut of [0, 1, 7, 8, 9, 500, 999, 1000]) expect(crc32c(bytes, cut, 1000, crc32c(bytes, 0, cut))).toBe(whole);
    expect(crc32c(bytes, 10, 20)).toBe(crc32c(bytes.slice(10, 20)));
  });

  it('changes when any single bit changes', () => {
    const bytes = ascii('a record body of some length, to flip bits in');
    const base = crc32c(bytes);
    for (let i = 0; i < bytes.length * 8; i++) {
      const flipped = bytes.slice();
      flipped[i >> 3] = flipped[i >> 3]! ^ (1 << (i & 7));
      expect(crc32c(flipped)).not.toBe(base);
    }
  });
});
