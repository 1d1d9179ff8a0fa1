import { VOXEL_TYPES, type Vec3, type VoxelType } from '@statemesh/brick-manifest';
import { check } from './volume-error.js';

/** Value type of a level's brick manifest in the tree. */
export const MANIFEST_TYPE = 'brick-manifest';

/** The shape of a bricked volume with its levels of detail. */
export interface VolumeShape {
  /** Full-resolution size in voxels. */
  readonly dims: Vec3;
  readonly voxelType: VoxelType;
  /** Brick size in voxels, the same at every level. */
  readonly brickDim: Vec3;
  /** Number of levels, full resolution (level 0) included. */
  readonly levels: number;
}

/**
 * Where level `level`'s brick manifest lives: at `path` itself for full resolution, at `<path>.levels.<level>`
 * for the coarser ones (each halving the resolution of the one before).
 */
export function levelPath(path: string, level: number): string {
  return level === 0 ? path : `${path}.levels.${level}`;
}

/** Level `level` of a volume of `dims` voxels: each level halves the one before, rounding up. */
export function levelDims(dims: Vec3, level: number): Vec3 {
  const scale = 2 ** level;
  return [Math.ceil(dims[0] / scale), Math.ceil(dims[1] / scale), Math.ceil(dims[2] / scale)];
}

/** How many levels `'auto'` makes: halving until the whole volume fits one brick. */
export function autoLevels(dims: Vec3, brickDim: Vec3): number {
  let levels = 1;
  for (let d = dims; d[0] > brickDim[0] || d[1] > brickDim[1] || d[2] > brickDim[2]; levels++) d = levelDims(dims, levels);
  return levels;
}

/** Validates the shape options of `putVolume` / `putBricks` and fills in the defaults. */
export function resolveShape(options: {
  readonly dims: Vec3;
  readonly voxelType: VoxelType;
  readonly brickDim?: number | Vec3 | undefined;
  readonly levels?: number | 'auto' | undefined;
}): VolumeShape {
  check(typeof options === 'object' && options !== null, 'options { dims, voxelType } are required');
  const { dims, voxelType } = options;
  check(isVec3(dims, 1), `dims must be three integers ≥ 1, not ${JSON.stringify(dims)}`);
  check(typeof voxelType === 'string' && Object.hasOwn(VOXEL_TYPES, voxelType), `voxelType must be one of ${Object.keys(VOXEL_TYPES).join(', ')}, not ${JSON.stringify(voxelType)}`);
  const b = options.brickDim ?? 32;
  const brickDim: Vec3 = typeof b === 'number' ? [b, b, b] : b;
  check(isVec3(brickDim, 1), `brickDim must be an integer ≥ 1 or three of them, not ${JSON.stringify(b)}`);
  const most = autoLevels(dims, brickDim);
  const levels = options.levels ?? 'auto';
  check(levels === 'auto' || (Number.isInteger(levels) && levels >= 1 && levels <= most), `levels must be 'auto' or an integer from 1 to ${most} for this volume, not ${JSON.stringify(levels)}`);
  return { dims: [...dims], voxelType, brickDim: [...brickDim], levels: levels === 'auto' ? most : levels };
}

function isVec3(v: unknown, min: number): v is Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n >= min && n <= 0xffffffff);
}
