// Brick manifests for the tests, written byte by byte from @statemesh/brick-manifest's PROTOCOL.md (version 1).

/** A volume of `dims` voxels in bricks of `brick`³, z-outer, y, x order, edge bricks clipped; f32 voxels. */
export function manifestBytes(dims: readonly [number, number, number], brick: number): Uint8Array {
  const counts = dims.map((d) => Math.ceil(d / brick));
  const n = counts[0]! * counts[1]! * counts[2]!;
  const bytes = new Uint8Array(16 + 28 + 45 * n);
  const view = new DataView(bytes.buffer);
  bytes.set([0x53, 0x4d, 0x42, 0x4d], 0);
  view.setUint16(4, 1, true);
  view.setUint16(6, 1, true);
  view.setUint32(8, n, true);
  dims.forEach((d, i) => view.setUint32(16 + 4 * i, d, true));
  for (let i = 0; i < 3; i++) view.setUint32(28 + 4 * i, brick, true);
  view.setUint8(40, 8);
  let offset = 44;
  let element = 0;
  for (let z = 0; z < counts[2]!; z++) {
    for (let y = 0; y < counts[1]!; y++) {
      for (let x = 0; x < counts[0]!; x++) {
        const origin = [x * brick, y * brick, z * brick];
        const size = origin.map((o, i) => Math.min(brick, dims[i]! - o));
        origin.forEach((o, i) => view.setUint32(offset + 4 * i, o, true));
        size.forEach((s, i) => view.setUint32(offset + 12 + 4 * i, s, true));
        const voxels = size[0]! * size[1]! * size[2]!;
        view.setBigUint64(offset + 28, BigInt(element), true);
        view.setBigUint64(offset + 36, BigInt(element + voxels), true);
        element += voxels;
        offset += 45;
      }
    }
  }
  return bytes;
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
