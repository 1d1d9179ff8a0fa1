import { bricksInFrustum, orderFrontToBack, type Plane, type Vec3 } from '@statemesh/brick-manifest';
import { brickBytes, type LevelManifest } from './level-manifest.js';

/** One brick a view wants, in fetch order. */
export interface PlannedBrick {
  readonly level: number;
  readonly index: number;
  readonly digest: string;
  /** The bytes the brick must hold: its voxels times the voxel size. */
  readonly bytes: number;
  /** The node that wrote the level's manifest. */
  readonly origin: string;
}

/** The planes of a level-0 frustum in the voxel space of level `level`, where a voxel spans 2^level of level 0. */
export function planesAtLevel(planes: readonly Plane[], level: number): Plane[] {
  const s = 2 ** level;
  return planes.map(([a, b, c, d]) => [a * s, b * s, c * s, d]);
}

/**
 * The bricks inside the frustum, coarsest level first and nearest the eye first within a level; bricks with no
 * digest yet (not written) are left out. Eye and planes are in level-0 voxel coordinates.
 */
export function planBricks(levels: readonly (LevelManifest | undefined)[], planes: readonly Plane[], eye: Vec3): PlannedBrick[] {
  const plan: PlannedBrick[] = [];
  for (let level = levels.length - 1; level >= 0; level--) {
    const entry = levels[level];
    if (entry === undefined) continue;
    const { manifest } = entry;
    const s = 2 ** level;
    const visible = bricksInFrustum(manifest, planesAtLevel(planes, level));
    for (const index of orderFrontToBack(manifest, visible, [eye[0] / s, eye[1] / s, eye[2] / s])) {
      const brick = manifest.brick(index);
      if (brick.digest === undefined) continue;
      plan.push({ level, index, digest: brick.digest, bytes: brickBytes(brick, manifest.volume!), origin: entry.origin });
    }
  }
  return plan;
}

/**
 * How many bricks of the plan, from its head, fit in `cacheBytes` (equal bricks counted once; at least one): a
 * view never fetches a farther brick only to evict a nearer or coarser one it just fetched.
 */
export function fittingHead(plan: readonly PlannedBrick[], cacheBytes: number): number {
  const seen = new Set<string>();
  let bytes = 0;
  for (let i = 0; i < plan.length; i++) {
    const brick = plan[i]!;
    if (seen.has(brick.digest)) continue;
    seen.add(brick.digest);
    bytes += brick.bytes;
    if (bytes > cacheBytes && i > 0) return i;
  }
  return plan.length;
}
