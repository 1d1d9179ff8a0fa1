import type { VolumeInfo } from './brick.js';

/**
 * The flat, typed-array form of a manifest that every query reads: brick i spans
 * [boxMin[3i..3i+2], boxMax[3i..3i+2]) in voxels.
 */
export interface ManifestData {
  /** The volume the bricks were cut from, when known. */
  readonly volume: VolumeInfo | undefined;
  /** Lowest corner of each brick, x, y, z interleaved. */
  readonly boxMin: Uint32Array;
  /** Highest corner (origin + size) of each brick, x, y, z interleaved. */
  readonly boxMax: Uint32Array;
  /** Variable index of each brick. */
  readonly variableIndex: Uint32Array;
  /** First element of each brick. */
  readonly elementBegin: Float64Array;
  /** One past the last element of each brick. */
  readonly elementEnd: Float64Array;
  /** SHA-256 hex digest of each brick, or undefined where unknown; undefined when none is known. */
  readonly digests: ReadonlyArray<string | undefined> | undefined;
  /** Stored size of each brick, NaN where unknown; undefined when none is known. */
  readonly storedBytes: Float64Array | undefined;
}

/** Largest coordinate a brick corner may have: coordinates are unsigned 32-bit integers. */
export const MAX_COORDINATE = 0xffffffff;

/** Brick count limit of one manifest (each brick costs about 44 bytes of memory). */
export const MAX_BRICKS = 2 ** 27;

/** True when `digest` is a lowercase hex SHA-256. */
export function isDigest(digest: unknown): digest is string {
  return typeof digest === 'string' && /^[0-9a-f]{64}$/.test(digest);
}
