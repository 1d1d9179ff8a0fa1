// Brick manifests for the tests, from @statemesh/brick-manifest (through the session's re-export).
import { BrickManifest } from '@statemesh/session';

/** A volume of `dims` voxels in bricks of `brick`³, z-outer, y, x order, edge bricks clipped; f32 voxels. */
export function manifestBytes(dims: readonly [number, number, number], brick: number): Uint8Array {
  return BrickManifest.forVolume([dims[0], dims[1], dims[2]], { brickDim: brick, voxelType: 'f32' }).encode();
}

/**
 * A column-major orthographic view-projection that sees x in [left, right], y in [bottom, top] and z in
 * [0, depth] (the camera looks down −z from z = depth... in eye space, so the volume's z maps into the clip range).
 */
export function orthographic(left: number, right: number, bottom: number, top: number, depth: number): number[] {
  const near = -depth;
  const far = 0;
  return [
    2 / (right - left), 0, 0, 0,
    0, 2 / (top - bottom), 0, 0,
    0, 0, -2 / (far - near), 0,
    -(right + left) / (right - left), -(top + bottom) / (top - bottom), -(far + near) / (far - near), 1,
  ];
}
