// Voxels of any type as the 8-bit values the GPU samples: scaled over a range taken from the first brick of the
// coarsest level (which covers the whole volume), so every level shares one scale.
import type { VoxelType } from '@statemesh/brick-manifest';

/** The values of a brick's bytes (little-endian), as numbers. */
export function voxelValues(bytes: Uint8Array, type: VoxelType): ArrayLike<number> {
  // Typed arrays need aligned offsets: copy when the bytes sit at an odd place of their buffer.
  const size = { u8: 1, i8: 1, u16: 2, i16: 2, f16: 2, u32: 4, i32: 4, f32: 4, f64: 8 }[type];
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const count = Math.floor(bytes.byteLength / size);
  switch (type) {
    case 'u8': return aligned;
    case 'i8': return new Int8Array(buffer, byteOffset, count);
    case 'u16': return new Uint16Array(buffer, byteOffset, count);
    case 'i16': return new Int16Array(buffer, byteOffset, count);
    case 'u32': return new Uint32Array(buffer, byteOffset, count);
    case 'i32': return new Int32Array(buffer, byteOffset, count);
    case 'f32': return new Float32Array(buffer, byteOffset, count);
    case 'f64': return new Float64Array(buffer, byteOffset, count);
    case 'f16': return Array.from(new Uint16Array(buffer, byteOffset, count), halfToFloat);
  }
}

/** A value range: `low` maps to 0, `high` to 255. */
export interface VoxelRange {
  readonly low: number;
  readonly high: number;
}

/** The smallest and largest finite value of `values` (0 … 1 when there is none). */
export function rangeOf(values: ArrayLike<number>): VoxelRange {
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  if (low === Infinity) return { low: 0, high: 1 };
  return high > low ? { low, high } : { low, high: low + 1 };
}

/** The values scaled to 0 … 255 over `range` (clamped; NaN as 0). */
export function toBytes(values: ArrayLike<number>, range: VoxelRange): Uint8Array {
  const out = new Uint8Array(values.length);
  const scale = 255 / (range.high - range.low);
  for (let i = 0; i < values.length; i++) {
    const v = (values[i]! - range.low) * scale;
    out[i] = v > 0 ? (v < 255 ? v + 0.5 : 255) : 0;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction === 0 ? sign * Infinity : Number.NaN;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
