import { HashRingError } from './error.js';

const FNV_OFFSET_BASIS = 0x811c9dc5; // 2166136261
const FNV_PRIME = 0x01000193; // 16777619

/** A 32-bit hash of a key, an unsigned integer in [0, 2^32). */
export type HashFunction = (key: string) => number;

/**
 * 32-bit FNV-1a over the UTF-8 bytes of `input` (offset basis 2166136261, prime 16777619), unsigned.
 * Strings are encoded as `TextEncoder` would (a lone surrogate becomes U+FFFD) without allocating.
 */
export function fnv1a32(input: string | Uint8Array): number {
  if (typeof input === 'string') return fnv1a32String(input);
  if (input instanceof Uint8Array) {
    let h = FNV_OFFSET_BASIS;
    for (let i = 0; i < input.length; i++) h = Math.imul(h ^ input[i]!, FNV_PRIME);
    return h >>> 0;
  }
  throw new HashRingError('INVALID_ARGUMENT', `fnv1a32 hashes a string or a Uint8Array, got ${typeof input}`);
}

// FNV-1a of a string's UTF-8 bytes. Hashes the code units as bytes, the right answer for ASCII, and redoes the
// work with the UTF-8 encoder only if one was not ASCII: a branch-free loop that V8 compiles tightly.
function fnv1a32String(input: string): number {
  let h = FNV_OFFSET_BASIS;
  let seen = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    seen |= c;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return seen < 0x80 ? h >>> 0 : fnv1a32Utf8(input, 0, FNV_OFFSET_BASIS);
}

// Continues FNV-1a state `h` over the UTF-8 encoding of `input` from code unit `from`, as TextEncoder encodes
// it (a lone surrogate becomes U+FFFD).
function fnv1a32Utf8(input: string, from: number, h: number): number {
  const length = input.length;
  for (let i = from; i < length; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) {
      h = Math.imul(h ^ c, FNV_PRIME);
      continue;
    }
    if (c < 0x800) {
      h = Math.imul(h ^ (0xc0 | (c >>> 6)), FNV_PRIME);
      h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < length ? input.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        h = Math.imul(h ^ (0xf0 | (c >>> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >>> 12) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >>> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
        continue;
      }
      c = 0xfffd;
    }
    h = Math.imul(h ^ (0xe0 | (c >>> 12)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | ((c >>> 6) & 0x3f)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * The murmur3 32-bit finalizer: a bijection on [0, 2^32) that spreads every input bit over every output bit.
 * Applied to an FNV-1a value it evens out keys that differ only in a few characters.
 */
export function fmix32(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The default {@link HashFunction}: `fmix32(fnv1a32(key))`, FNV-1a with the murmur3 finalizer. */
export function fnv1a32Mixed(key: string): number {
  if (typeof key !== 'string') return fmix32(fnv1a32(key));
  return fmix32(fnv1a32String(key));
}
