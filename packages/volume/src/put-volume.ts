import { BrickManifest, VOXEL_TYPES, type Vec3, type VoxelType } from '@statemesh/brick-manifest';
import { brickBytes, readLevel } from './level-manifest.js';
import { check } from './volume-error.js';
import { levelDims, levelPath, MANIFEST_TYPE, resolveShape, type VolumeShape } from './volume-layout.js';
import type { VolumeSession } from './volume-session.js';
import { cutBrick, halve, voxelGrid } from './voxel-grid.js';

/** Options of {@link putVolume} and {@link putBricks}: the volume's shape. */
export interface PutVolumeOptions {
  /** Full-resolution size in voxels. */
  readonly dims: Vec3;
  readonly voxelType: VoxelType;
  /** Brick size in voxels, one number for a cube (default 32). */
  readonly brickDim?: number | Vec3 | undefined;
  /** Levels of detail, full resolution included: `'auto'` (default) halves down to one brick. */
  readonly levels?: number | 'auto' | undefined;
}

/** What was written. */
export interface PutVolumeResult {
  /** Levels written, full resolution included. */
  readonly levels: number;
  /** Bricks written, every level counted. */
  readonly bricks: number;
  /** Voxel bytes of those bricks. */
  readonly bytes: number;
  /** The manifest of each level written (index = level; a level `putBricks` did not touch is undefined). */
  readonly manifests: readonly (BrickManifest | undefined)[];
}

/** One brick a producer hands to {@link putBricks}: its voxels, x fastest, in the brick's own extent. */
export interface BrickInput {
  /** Level of detail (default 0, full resolution). */
  readonly level?: number | undefined;
  /** Index of the brick in its level's manifest (z-outer, y, x order). */
  readonly index: number;
  readonly voxels: ArrayBufferView;
}

/** Blobs stored at once while writing bricks. */
const PUT_WINDOW = 8;

/**
 * Writes a volume: one content-addressed blob per brick (stored in the session's blob store, fetched by any peer
 * by digest), for full resolution and each coarser level (each halving the one before), then each level's brick
 * manifest, carrying the bricks' digests: level 0 at `path`, level L at `<path>.levels.<L>`, coarsest first.
 * `voxels` hold the volume x fastest, then y, then z.
 */
export async function putVolume(session: VolumeSession, path: string, voxels: ArrayBufferView, options: PutVolumeOptions): Promise<PutVolumeResult> {
  checkPath(path);
  const shape = resolveShape(options);
  let grid = voxelGrid(voxels, shape.dims, shape.voxelType);
  const manifests: BrickManifest[] = [];
  let bricks = 0;
  let bytes = 0;
  for (let level = 0; level < shape.levels; level++) {
    if (level > 0) grid = halve(grid);
    const layout = BrickManifest.forVolume(grid.dims, { brickDim: shape.brickDim, voxelType: shape.voxelType });
    const current = grid;
    const digests = await putAll(session, layout.length, (i) => {
      const brick = layout.brick(i);
      return cutBrick(current, brick.origin, brick.size);
    });
    manifests.push(withDigests(layout, digests));
    bricks += layout.length;
    bytes += current.bytes.byteLength;
  }
  writeManifests(session, path, manifests);
  return { levels: shape.levels, bricks, bytes, manifests };
}

/**
 * Writes some bricks of a volume as a producer makes them (a simulation step, a loader): stores each brick's blob
 * and rewrites the manifests of the levels touched, keeping the digests of the bricks written before. Coarse
 * levels are the producer's to write (`level` > 0): this does not derive them.
 */
export async function putBricks(session: VolumeSession, path: string, bricks: Iterable<BrickInput>, options: PutVolumeOptions): Promise<PutVolumeResult> {
  checkPath(path);
  const shape = resolveShape(options);
  const inputs = [...bricks];
  const touched = new Map<number, { layout: BrickManifest; digests: (string | undefined)[] }>();
  for (const [n, input] of inputs.entries()) {
    const level = input?.level ?? 0;
    check(Number.isInteger(level) && level >= 0 && level < shape.levels, `brick ${n}: level must be an integer from 0 to ${shape.levels - 1}, not ${JSON.stringify(level)}`);
    if (!touched.has(level)) touched.set(level, await startingPoint(session, path, shape, level));
    const { layout } = touched.get(level)!;
    check(Number.isInteger(input.index) && input.index >= 0 && input.index < layout.length, `brick ${n}: index must be an integer from 0 to ${layout.length - 1} at level ${level}, not ${JSON.stringify(input.index)}`);
    check(ArrayBuffer.isView(input.voxels), `brick ${n}: voxels must be a typed array or a Uint8Array of raw voxel bytes`);
    const expected = brickBytes(layout.brick(input.index), layout.volume!);
    check(input.voxels.byteLength === expected, `brick ${n} (level ${level}, index ${input.index}) holds ${input.voxels.byteLength} bytes; its extent needs ${expected}`, { expected });
  }
  const digests = await putAll(session, inputs.length, (n) => {
    const v = inputs[n]!.voxels;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  });
  let bytes = 0;
  inputs.forEach((input, n) => {
    touched.get(input.level ?? 0)!.digests[input.index] = digests[n];
    bytes += input.voxels.byteLength;
  });
  const manifests: (BrickManifest | undefined)[] = Array.from({ length: shape.levels });
  for (const [level, { layout, digests: levelDigests }] of touched) manifests[level] = withDigests(layout, levelDigests);
  writeManifests(session, path, manifests);
  return { levels: shape.levels, bricks: inputs.length, bytes, manifests };
}

/** The level's grid with the digests of the bricks already written there (none when its shape changed). */
async function startingPoint(session: VolumeSession, path: string, shape: VolumeShape, level: number): Promise<{ layout: BrickManifest; digests: (string | undefined)[] }> {
  const layout = BrickManifest.forVolume(levelDims(shape.dims, level), { brickDim: shape.brickDim, voxelType: shape.voxelType });
  const digests: (string | undefined)[] = Array.from({ length: layout.length });
  const existing = await readLevel(session, path, level, undefined).catch(() => undefined); // unreadable: start afresh
  const volume = existing?.manifest.volume;
  const same =
    volume !== undefined && volume.voxelType === shape.voxelType && existing!.manifest.length === layout.length &&
    [0, 1, 2].every((axis) => volume.dims[axis] === layout.volume!.dims[axis] && volume.brickDim[axis] === shape.brickDim[axis]);
  if (same) for (let i = 0; i < layout.length; i++) digests[i] = existing!.manifest.brick(i).digest;
  return { layout, digests };
}

async function putAll(session: VolumeSession, count: number, bytesOf: (i: number) => Uint8Array): Promise<string[]> {
  const digests: string[] = Array.from({ length: count });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      digests[i] = await session.putBlob(bytesOf(i));
    }
  };
  await Promise.all(Array.from({ length: Math.min(PUT_WINDOW, count) }, worker));
  return digests;
}

function withDigests(layout: BrickManifest, digests: readonly (string | undefined)[]): BrickManifest {
  const volume = layout.volume!;
  return BrickManifest.fromBricks(
    layout.bricks().map(({ index, ...brick }) => {
      const digest = digests[index];
      return digest === undefined ? brick : { ...brick, digest, storedBytes: brick.size[0] * brick.size[1] * brick.size[2] * VOXEL_TYPES[volume.voxelType] };
    }),
    { volume },
  );
}

/** Coarsest first, full resolution last: a viewer that sees level 0 has every level's manifest on the way. */
function writeManifests(session: VolumeSession, path: string, manifests: readonly (BrickManifest | undefined)[]): void {
  for (let level = manifests.length - 1; level >= 0; level--) {
    const manifest = manifests[level];
    if (manifest !== undefined) session.setBytes(levelPath(path, level), manifest.encode(), MANIFEST_TYPE);
  }
}

function checkPath(path: unknown): asserts path is string {
  check(typeof path === 'string' && path !== '', `path must be a non-empty tree path, not ${JSON.stringify(path)}`);
}
