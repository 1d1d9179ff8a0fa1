/** Three numbers: x, y, z. */
export type Vec3 = readonly [number, number, number];

/** One brick of a volume: an axis-aligned box of voxels [origin, origin + size) and where its data lives. */
export interface Brick {
  /** Position of the brick in its manifest. */
  readonly index: number;
  /** Lowest voxel corner, in voxels (integers, 0 ≤ origin, origin + size ≤ 2^32 − 1). */
  readonly origin: Vec3;
  /** Extent in voxels (integers ≥ 1). */
  readonly size: Vec3;
  /** Which variable (field) of the volume the brick holds. */
  readonly variableIndex: number;
  /** First element (voxel) of the brick in the volume's bricked data stream. */
  readonly elementBegin: number;
  /** One past the last element (elementEnd − elementBegin = voxel count for a brick from `forVolume`). */
  readonly elementEnd: number;
  /** SHA-256 of the brick's stored bytes, lowercase hex (64 characters), when known. */
  readonly digest?: string;
  /** Size of the brick as stored (compressed), in bytes, when known. */
  readonly storedBytes?: number;
}

/** What a caller gives to describe a brick; the index is its position in the list. */
export type BrickInit = Omit<Brick, 'index'>;

/** Voxel types a volume header can name, with their size in bytes. */
export const VOXEL_TYPES = { u8: 1, i8: 1, u16: 2, i16: 2, f16: 2, u32: 4, i32: 4, f32: 4, f64: 8 } as const;

/** One of the keys of {@link VOXEL_TYPES}. */
export type VoxelType = keyof typeof VOXEL_TYPES;

/** The volume a manifest was cut from: its size, the brick size, the voxel type. */
export interface VolumeInfo {
  /** Volume size in voxels. */
  readonly dims: Vec3;
  /** Brick size in voxels (edge bricks are clipped to the volume). */
  readonly brickDim: Vec3;
  /** Type of one voxel. */
  readonly voxelType: VoxelType;
}
