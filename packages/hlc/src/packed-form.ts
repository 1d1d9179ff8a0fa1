import { type HybridTime, MAX_WALL_MS, assertHybridTime, show } from './hybrid-time.js';

const LIMIT = 1n << 64n;

/** The 64-bit integer form, exact beyond 2^53: `wallMs * 2^16 + logical`. Orders like {@link compare}. */
export function pack(t: HybridTime): bigint {
  assertHybridTime(t, 'pack(t): t');
  return (BigInt(t.wallMs) << 16n) | BigInt(t.logical);
}

/** The inverse of {@link pack}: throws RangeError unless `0 <= packed < 2^64`. */
export function unpack(packed: bigint): HybridTime {
  if (typeof packed !== 'bigint') {
    throw new TypeError(`@statemesh/hlc: unpack(packed) takes a bigint, got ${show(packed)}; use BigInt(value)`);
  }
  if (packed < 0n || packed >= LIMIT) {
    throw new RangeError(`@statemesh/hlc: unpack(packed) takes a bigint from 0 to 2^64 - 1, got ${packed}n`);
  }
  const wallMs = Number(packed >> 16n);
  // Unreachable by construction (2^64 >> 16 = 2^48); kept as a guard for the invariant.
  if (wallMs > MAX_WALL_MS) throw new RangeError(`@statemesh/hlc: unpack(packed): wall part beyond 48 bits`);
  return { wallMs, logical: Number(packed & 0xffffn) };
}
