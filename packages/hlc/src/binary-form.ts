import { type HybridTime, assertHybridTime, show } from './hybrid-time.js';

/** Bytes in the binary form of a {@link HybridTime}. */
export const ENCODED_BYTES = 8;

/** The 8-byte big-endian form of the packed value (`wallMs * 2^16 + logical`); bytes sort like the times. */
export function encode(t: HybridTime): Uint8Array {
  assertHybridTime(t, 'encode(t): t');
  const wallMs = t.wallMs;
  // No BigInt: the upper 32 bits are wallMs / 2^16, the lower 32 bits are (wallMs mod 2^16) << 16 | logical.
  const high = Math.floor(wallMs / 0x10000);
  const low = (wallMs % 0x10000) * 0x10000 + t.logical;
  const bytes = new Uint8Array(ENCODED_BYTES);
  bytes[0] = high >>> 24;
  bytes[1] = (high >>> 16) & 0xff;
  bytes[2] = (high >>> 8) & 0xff;
  bytes[3] = high & 0xff;
  bytes[4] = low >>> 24;
  bytes[5] = (low >>> 16) & 0xff;
  bytes[6] = (low >>> 8) & 0xff;
  bytes[7] = low & 0xff;
  return bytes;
}

/** The inverse of {@link encode}: takes exactly 8 bytes, throws RangeError for any other length. */
export function decode(bytes: Uint8Array): HybridTime {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`@statemesh/hlc: decode(bytes) takes a Uint8Array, got ${show(bytes)}`);
  }
  if (bytes.length !== ENCODED_BYTES) {
    throw new RangeError(
      `@statemesh/hlc: decode(bytes) takes exactly ${ENCODED_BYTES} bytes, got ${bytes.length}; pass bytes.subarray(offset, offset + 8)`,
    );
  }
  const high = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const low = ((bytes[4]! << 24) | (bytes[5]! << 16) | (bytes[6]! << 8) | bytes[7]!) >>> 0;
  return { wallMs: high * 0x10000 + (low >>> 16), logical: low & 0xffff };
}
