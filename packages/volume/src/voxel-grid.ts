import { VOXEL_TYPES, type Vec3, type VoxelType } from '@statemesh/brick-manifest';
import { check } from './volume-error.js';

type NumericArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

/** A dense grid of voxels, x fastest, then y, then z, as raw little-endian bytes of one voxel type. */
export interface VoxelGrid {
  readonly dims: Vec3;
  readonly voxelType: VoxelType;
  readonly bytes: Uint8Array;
}

/** The voxels of `view` as a grid of `dims`; `INVALID_ARGUMENT` when the sizes do not match. */
export function voxelGrid(view: ArrayBufferView, dims: Vec3, voxelType: VoxelType): VoxelGrid {
  check(ArrayBuffer.isView(view), 'voxels must be a typed array or a Uint8Array of raw voxel bytes');
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const expected = dims[0] * dims[1] * dims[2] * VOXEL_TYPES[voxelType];
  check(bytes.byteLength === expected, `voxels hold ${bytes.byteLength} bytes; a ${dims.join('×')} volume of ${voxelType} needs ${expected}`, { bytes: bytes.byteLength, expected });
  return { dims, voxelType, bytes };
}

/** The bytes of the box [origin, origin + size) of `grid`, x fastest: one brick's payload. */
export function cutBrick(grid: VoxelGrid, origin: Vec3, size: Vec3): Uint8Array {
  const voxel = VOXEL_TYPES[grid.voxelType];
  const [dx, dy] = grid.dims;
  const row = size[0] * voxel;
  const out = new Uint8Array(size[0] * size[1] * size[2] * voxel);
  let at = 0;
  for (let z = 0; z < size[2]; z++) {
    for (let y = 0; y < size[1]; y++) {
      const start = (((origin[2] + z) * dy + origin[1] + y) * dx + origin[0]) * voxel;
      out.set(grid.bytes.subarray(start, start + row), at);
      at += row;
    }
  }
  return out;
}

/**
 * The grid at half the resolution (rounding up): each voxel the mean of the up to 2×2×2 voxels it covers (rounded
 * for integer types); `f16`, which has no arithmetic here, takes the first of them.
 */
export function halve(grid: VoxelGrid): VoxelGrid {
  const [sx, sy, sz] = grid.dims;
  const dims: Vec3 = [Math.ceil(sx / 2), Math.ceil(sy / 2), Math.ceil(sz / 2)];
  const source = numeric(grid);
  const Kind = source.constructor as new (length: number) => NumericArray;
  const target = new Kind(dims[0] * dims[1] * dims[2]);
  const float = grid.voxelType === 'f32' || grid.voxelType === 'f64';
  const pick = grid.voxelType === 'f16';
  let at = 0;
  for (let z = 0; z < dims[2]; z++) {
    const z0 = 2 * z;
    const z1 = Math.min(z0 + 1, sz - 1);
    for (let y = 0; y < dims[1]; y++) {
      const y0 = 2 * y;
      const y1 = Math.min(y0 + 1, sy - 1);
      const r00 = (z0 * sy + y0) * sx;
      const r01 = (z0 * sy + y1) * sx;
      const r10 = (z1 * sy + y0) * sx;
      const r11 = (z1 * sy + y1) * sx;
      const rows = (y1 > y0 ? 2 : 1) * (z1 > z0 ? 2 : 1);
      const sameY = y1 === y0;
      const sameZ = z1 === z0;
      for (let x = 0; x < dims[0]; x++) {
        const x0 = 2 * x;
        if (pick) {
          target[at++] = source[r00 + x0]!;
          continue;
        }
        const x1 = Math.min(x0 + 1, sx - 1);
        const wide = x1 > x0;
        let sum = source[r00 + x0]! + (wide ? source[r00 + x1]! : 0);
        if (!sameY) sum += source[r01 + x0]! + (wide ? source[r01 + x1]! : 0);
        if (!sameZ) sum += source[r10 + x0]! + (wide ? source[r10 + x1]! : 0);
        if (!sameY && !sameZ) sum += source[r11 + x0]! + (wide ? source[r11 + x1]! : 0);
        const mean = sum / (rows * (wide ? 2 : 1));
        target[at++] = float ? mean : Math.round(mean);
      }
    }
  }
  return { dims, voxelType: grid.voxelType, bytes: new Uint8Array(target.buffer, target.byteOffset, target.byteLength) };
}

/** The grid's voxels as numbers (a copy when the bytes are not aligned for the voxel type). */
function numeric(grid: VoxelGrid): NumericArray {
  const size = VOXEL_TYPES[grid.voxelType];
  const bytes = grid.bytes.byteOffset % size === 0 ? grid.bytes : grid.bytes.slice();
  const { buffer, byteOffset, byteLength } = bytes;
  const count = byteLength / size;
  switch (grid.voxelType) {
    case 'u8': return new Uint8Array(buffer, byteOffset, count);
    case 'i8': return new Int8Array(buffer, byteOffset, count);
    case 'u16': case 'f16': return new Uint16Array(buffer, byteOffset, count);
    case 'i16': return new Int16Array(buffer, byteOffset, count);
    case 'u32': return new Uint32Array(buffer, byteOffset, count);
    case 'i32': return new Int32Array(buffer, byteOffset, count);
    case 'f32': return new Float32Array(buffer, byteOffset, count);
    case 'f64': return new Float64Array(buffer, byteOffset, count);
  }
}
