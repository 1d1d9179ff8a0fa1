import type { BrickManifest } from './brick-manifest.js';
import type { Vec3 } from './brick.js';
import { check } from './error.js';
import { checkPoint } from './region.js';

/**
 * The given brick indices sorted nearest first as seen from `eye`: by the distance from the eye to the brick's box
 * (0 when the eye is inside), then by the distance to the brick's centre, then by index.
 */
export function orderFrontToBack(manifest: BrickManifest, indices: ArrayLike<number>, eye: Vec3): Uint32Array {
  checkPoint(eye, 'eye');
  const [ex, ey, ez] = eye;
  const count = indices.length;
  const order = new Uint32Array(count);
  const near = new Float64Array(count);
  const centre = new Float64Array(count);
  const min = manifest.boxMin;
  const max = manifest.boxMax;
  for (let j = 0; j < count; j++) {
    const i = indices[j]!;
    check(Number.isInteger(i) && i >= 0 && i < manifest.length, `index ${String(i)} is not a brick of this manifest`);
    const k = 3 * i;
    let nearSq = 0;
    let centreSq = 0;
    for (let axis = 0; axis < 3; axis++) {
      const e = axis === 0 ? ex : axis === 1 ? ey : ez;
      const lo = min[k + axis]!;
      const hi = max[k + axis]!;
      const gap = e < lo ? lo - e : e > hi ? e - hi : 0;
      const off = e - (lo + hi) / 2;
      nearSq += gap * gap;
      centreSq += off * off;
    }
    order[j] = j;
    near[j] = nearSq;
    centre[j] = centreSq;
  }
  order.sort((a, b) => near[a]! - near[b]! || centre[a]! - centre[b]! || indices[a]! - indices[b]!);
  const result = new Uint32Array(count);
  for (let j = 0; j < count; j++) result[j] = indices[order[j]!]!;
  return result;
}
