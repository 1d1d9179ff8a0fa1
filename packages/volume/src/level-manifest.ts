import { BrickManifest, VOXEL_TYPES, type Brick, type VolumeInfo } from '@statemesh/brick-manifest';
import { isStatemeshError } from '@statemesh/contracts';
import { levelDims, levelPath, MANIFEST_TYPE } from './volume-layout.js';
import { volumeError } from './volume-error.js';
import type { VolumeSession, VolumeValue } from './volume-session.js';

/** One level of a volume as a viewer holds it: its manifest and the write it came from. */
export interface LevelManifest {
  readonly level: number;
  readonly manifest: BrickManifest;
  /** `<origin>:<seq>` of the write that carried it: a new write is a new manifest. */
  readonly version: string;
  /** The node that wrote it: the one that holds every brick, spared while other peers hold copies. */
  readonly origin: string;
}

/** The bytes brick `brick` holds: its voxels times the voxel size. */
export function brickBytes(brick: Pick<Brick, 'size'>, volume: VolumeInfo): number {
  return brick.size[0] * brick.size[1] * brick.size[2] * VOXEL_TYPES[volume.voxelType];
}

/** The key of a write's version, to tell a new manifest from one already loaded. */
export function versionKey(value: VolumeValue): string {
  return `${value.version.origin}:${value.version.seq}:${String(value.version.hlc)}`;
}

/**
 * Reads level `level`'s manifest at `path` (fetching it where it is pending); undefined when there is none. Throws
 * `CORRUPT_INPUT` (naming the path) for a value that is not a manifest of a volume, or one whose size does not fit
 * level `level` of `fullDims`.
 */
export async function readLevel(
  session: VolumeSession,
  path: string,
  level: number,
  fullDims: VolumeInfo['dims'] | undefined,
  signal?: AbortSignal,
): Promise<LevelManifest | undefined> {
  const where = levelPath(path, level);
  let value = session.get(where);
  if (value === undefined) return undefined;
  if (value.pending) value = await session.fetch(where, signal === undefined ? {} : { signal });
  if (value.type !== MANIFEST_TYPE || value.bytes === undefined) {
    throw volumeError('CORRUPT_INPUT', `${JSON.stringify(where)} holds a value of type ${JSON.stringify(value.type)}, not a ${MANIFEST_TYPE}; write volumes with putVolume`, { path: where });
  }
  let manifest: BrickManifest;
  try {
    manifest = BrickManifest.decode(value.bytes);
  } catch (error) {
    const code = isStatemeshError(error) ? error.code : 'CORRUPT_INPUT';
    throw volumeError(code, `the brick manifest at ${JSON.stringify(where)} does not decode: ${error instanceof Error ? error.message : String(error)}`, { path: where }, error);
  }
  const volume = manifest.volume;
  if (volume === undefined || manifest.gridShape() === undefined) {
    throw volumeError('CORRUPT_INPUT', `the brick manifest at ${JSON.stringify(where)} is not a regular grid of a volume; write volumes with putVolume`, { path: where });
  }
  if (fullDims !== undefined && level > 0) {
    const want = levelDims(fullDims, level);
    if (want.some((d, axis) => d !== volume.dims[axis])) {
      throw volumeError('CORRUPT_INPUT', `level ${level} at ${JSON.stringify(where)} is ${volume.dims.join('×')} voxels; level ${level} of a ${fullDims.join('×')} volume is ${want.join('×')}`, { path: where, level });
    }
  }
  return { level, manifest, version: versionKey(value), origin: value.version.origin };
}
