import { type Brick, type BrickInit, type Vec3, type VolumeInfo, type VoxelType, VOXEL_TYPES } from './brick.js';
import { check } from './error.js';
import { isDigest, type ManifestData, MAX_BRICKS, MAX_COORDINATE } from './manifest-data.js';
import { decodeManifest, encodeManifest } from './manifest-format.js';

/** Options of {@link BrickManifest.forVolume}. */
export interface ForVolumeOptions {
  /** Brick size in voxels, one number for a cube or x, y, z; default 32. Edge bricks are clipped. */
  readonly brickDim?: number | Vec3;
  /** Type of one voxel; default `'f32'`. */
  readonly voxelType?: VoxelType;
  /** Variable index written into every brick; default 0. */
  readonly variableIndex?: number;
}

/** Options of {@link BrickManifest.fromBricks}. */
export interface FromBricksOptions {
  /** The volume the bricks were cut from, recorded in the manifest. */
  readonly volume?: VolumeInfo;
}

const isU32 = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0 && (n as number) <= MAX_COORDINATE;

/**
 * The bricks of a volume: where each brick sits and where its data lives. Extents are kept in flat typed arrays
 * (`boxMin`, `boxMax`), which region and frustum queries scan without allocating.
 */
export class BrickManifest {
  /** Number of bricks. */
  readonly length: number;
  /** The volume the bricks were cut from, when known. */
  readonly volume: VolumeInfo | undefined;
  /** Lowest corner of each brick, x, y, z interleaved (read only). */
  readonly boxMin: Uint32Array;
  /** Highest corner (origin + size) of each brick, x, y, z interleaved (read only). */
  readonly boxMax: Uint32Array;
  private readonly data: ManifestData;
  private gridCache: Vec3 | null | undefined;

  private constructor(data: ManifestData, grid?: Vec3) {
    this.data = data;
    this.length = data.variableIndex.length;
    this.volume = data.volume;
    this.boxMin = data.boxMin;
    this.boxMax = data.boxMax;
    this.gridCache = grid;
  }

  /**
   * Cuts a volume of `dims` voxels into bricks of `brickDim` (default 32), in z-outer, y, x order, edge bricks
   * clipped. Elements number the voxels brick after brick (x fastest inside a brick).
   */
  static forVolume(dims: Vec3, options: ForVolumeOptions = {}): BrickManifest {
    const voxelType = options.voxelType ?? 'f32';
    const variable = options.variableIndex ?? 0;
    const brickDimOption = options.brickDim ?? 32;
    const brickDim: Vec3 =
      typeof brickDimOption === 'number' ? [brickDimOption, brickDimOption, brickDimOption] : brickDimOption;
    checkVec3(dims, 'dims', 1);
    checkVec3(brickDim, 'brickDim', 1);
    check(Object.hasOwn(VOXEL_TYPES, voxelType), `unknown voxelType ${String(voxelType)}: use one of ${Object.keys(VOXEL_TYPES).join(', ')}`);
    check(isU32(variable), `variableIndex must be an integer from 0 to 2^32 − 1, got ${String(variable)}`);
    check(dims[0] * dims[1] * dims[2] <= Number.MAX_SAFE_INTEGER, 'the volume has more than 2^53 voxels');
    const grid: Vec3 = [Math.ceil(dims[0] / brickDim[0]), Math.ceil(dims[1] / brickDim[1]), Math.ceil(dims[2] / brickDim[2])];
    const count = grid[0] * grid[1] * grid[2];
    check(count <= MAX_BRICKS, `${count} bricks is more than ${MAX_BRICKS}: use a larger brickDim`, { count });
    const boxMin = new Uint32Array(3 * count);
    const boxMax = new Uint32Array(3 * count);
    const elementBegin = new Float64Array(count);
    const elementEnd = new Float64Array(count);
    let i = 0;
    let element = 0;
    for (let z = 0; z < grid[2]; z++) {
      const z0 = z * brickDim[2];
      const z1 = Math.min(z0 + brickDim[2], dims[2]);
      for (let y = 0; y < grid[1]; y++) {
        const y0 = y * brickDim[1];
        const y1 = Math.min(y0 + brickDim[1], dims[1]);
        for (let x = 0; x < grid[0]; x++) {
          const x0 = x * brickDim[0];
          const x1 = Math.min(x0 + brickDim[0], dims[0]);
          boxMin[3 * i] = x0;
          boxMin[3 * i + 1] = y0;
          boxMin[3 * i + 2] = z0;
          boxMax[3 * i] = x1;
          boxMax[3 * i + 1] = y1;
          boxMax[3 * i + 2] = z1;
          elementBegin[i] = element;
          element += (x1 - x0) * (y1 - y0) * (z1 - z0);
          elementEnd[i] = element;
          i++;
        }
      }
    }
    const variableIndex = new Uint32Array(count).fill(variable);
    const volume: VolumeInfo = { dims: [...dims], brickDim: [...brickDim], voxelType };
    return new BrickManifest(
      { volume, boxMin, boxMax, variableIndex, elementBegin, elementEnd, digests: undefined, storedBytes: undefined },
      grid,
    );
  }

  /** A manifest of the given bricks, in that order (brick i gets index i). */
  static fromBricks(bricks: readonly BrickInit[], options: FromBricksOptions = {}): BrickManifest {
    check(Array.isArray(bricks), 'fromBricks needs an array of bricks');
    check(bricks.length <= MAX_BRICKS, `${bricks.length} bricks is more than ${MAX_BRICKS}`);
    if (options.volume !== undefined) checkVolume(options.volume);
    const count = bricks.length;
    const boxMin = new Uint32Array(3 * count);
    const boxMax = new Uint32Array(3 * count);
    const variableIndex = new Uint32Array(count);
    const elementBegin = new Float64Array(count);
    const elementEnd = new Float64Array(count);
    let digests: Array<string | undefined> | undefined;
    let storedBytes: Float64Array | undefined;
    for (let i = 0; i < count; i++) {
      const brick = bricks[i]!;
      const where = `brick ${i}`;
      checkVec3(brick.origin, `${where}: origin`, 0);
      checkVec3(brick.size, `${where}: size`, 1);
      for (let axis = 0; axis < 3; axis++) {
        const high = brick.origin[axis]! + brick.size[axis]!;
        check(high <= MAX_COORDINATE, `${where}: origin + size must stay ≤ 2^32 − 1 on every axis`);
        boxMin[3 * i + axis] = brick.origin[axis]!;
        boxMax[3 * i + axis] = high;
      }
      check(isU32(brick.variableIndex), `${where}: variableIndex must be an integer from 0 to 2^32 − 1`);
      check(
        Number.isSafeInteger(brick.elementBegin) && Number.isSafeInteger(brick.elementEnd) &&
          brick.elementBegin >= 0 && brick.elementBegin <= brick.elementEnd,
        `${where}: elements must be safe integers with 0 ≤ elementBegin ≤ elementEnd`,
      );
      variableIndex[i] = brick.variableIndex;
      elementBegin[i] = brick.elementBegin;
      elementEnd[i] = brick.elementEnd;
      if (brick.digest !== undefined) {
        check(isDigest(brick.digest), `${where}: digest must be a lowercase hex SHA-256 (64 characters)`);
        digests ??= Array.from<string | undefined>({ length: count });
        digests[i] = brick.digest;
      }
      if (brick.storedBytes !== undefined) {
        check(
          Number.isSafeInteger(brick.storedBytes) && brick.storedBytes >= 0,
          `${where}: storedBytes must be a safe integer ≥ 0`,
        );
        storedBytes ??= new Float64Array(count).fill(Number.NaN);
        storedBytes[i] = brick.storedBytes;
      }
    }
    return new BrickManifest({
      volume: options.volume,
      boxMin,
      boxMax,
      variableIndex,
      elementBegin,
      elementEnd,
      digests,
      storedBytes,
    });
  }

  /** Reads a manifest written by {@link BrickManifest.encode}; hostile input gives an error, never a crash. */
  static decode(bytes: Uint8Array): BrickManifest {
    return new BrickManifest(decodeManifest(bytes));
  }

  /** The manifest as bytes (layout in PROTOCOL.md). */
  encode(): Uint8Array {
    return encodeManifest(this.data);
  }

  /** Brick `index` as an object. */
  brick(index: number): Brick {
    check(Number.isInteger(index) && index >= 0 && index < this.length, `no brick ${String(index)}: the manifest has ${this.length}`);
    const { boxMin, boxMax, data } = this;
    const origin: Vec3 = [boxMin[3 * index]!, boxMin[3 * index + 1]!, boxMin[3 * index + 2]!];
    const size: Vec3 = [
      boxMax[3 * index]! - origin[0],
      boxMax[3 * index + 1]! - origin[1],
      boxMax[3 * index + 2]! - origin[2],
    ];
    const digest = data.digests?.[index];
    const storedBytes = data.storedBytes?.[index];
    return {
      index,
      origin,
      size,
      variableIndex: data.variableIndex[index]!,
      elementBegin: data.elementBegin[index]!,
      elementEnd: data.elementEnd[index]!,
      ...(digest === undefined ? {} : { digest }),
      ...(storedBytes === undefined || Number.isNaN(storedBytes) ? {} : { storedBytes }),
    };
  }

  /** Every brick as an object, in manifest order. */
  bricks(): Brick[] {
    return Array.from({ length: this.length }, (_, i) => this.brick(i));
  }

  /**
   * Bricks per axis when the bricks are exactly `forVolume`'s regular grid of the recorded volume (z-outer, y, x),
   * else undefined. Queries use it to take hierarchical shortcuts.
   */
  gridShape(): Vec3 | undefined {
    if (this.gridCache === undefined) this.gridCache = detectGrid(this.data) ?? null;
    return this.gridCache ?? undefined;
  }
}

function checkVec3(v: unknown, name: string, min: number): asserts v is Vec3 {
  check(
    Array.isArray(v) && v.length === 3 && v.every((n) => isU32(n) && n >= min),
    `${name} must be three integers from ${min} to 2^32 − 1, got ${Array.isArray(v) ? `[${v.join(', ')}]` : typeof v}`,
  );
}

function checkVolume(volume: VolumeInfo): void {
  checkVec3(volume.dims, 'volume.dims', 1);
  checkVec3(volume.brickDim, 'volume.brickDim', 1);
  check(Object.hasOwn(VOXEL_TYPES, volume.voxelType), `unknown volume.voxelType ${String(volume.voxelType)}`);
}

// The grid shape when brick i is exactly the i-th brick forVolume would cut from the recorded volume.
function detectGrid(data: ManifestData): Vec3 | undefined {
  const volume = data.volume;
  if (volume === undefined) return undefined;
  const { dims, brickDim } = volume;
  const grid: Vec3 = [Math.ceil(dims[0] / brickDim[0]), Math.ceil(dims[1] / brickDim[1]), Math.ceil(dims[2] / brickDim[2])];
  if (grid[0] * grid[1] * grid[2] !== data.variableIndex.length) return undefined;
  const { boxMin, boxMax } = data;
  let i = 0;
  for (let z = 0; z < grid[2]; z++) {
    for (let y = 0; y < grid[1]; y++) {
      for (let x = 0; x < grid[0]; x++, i++) {
        const cell = [x, y, z];
        for (let axis = 0; axis < 3; axis++) {
          const low = cell[axis]! * brickDim[axis]!;
          if (boxMin[3 * i + axis] !== low || boxMax[3 * i + axis] !== Math.min(low + brickDim[axis]!, dims[axis]!)) {
            return undefined;
          }
        }
      }
    }
  }
  return grid;
}
