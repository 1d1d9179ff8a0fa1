import type { BrickManifest } from './brick-manifest.js';
import type { Vec3 } from './brick.js';
import { check } from './error.js';
import { IndexList } from './index-list.js';

/**
 * Indices (ascending) of the bricks that overlap the box [lo, hi): half-open, so merely touching does not count,
 * and an empty box (lo ≥ hi on an axis) selects nothing.
 */
export function bricksInRegion(manifest: BrickManifest, lo: Vec3, hi: Vec3): Uint32Array {
  checkPoint(lo, 'lo');
  checkPoint(hi, 'hi');
  const [lx, ly, lz] = lo;
  const [hx, hy, hz] = hi;
  const min = manifest.boxMin;
  const max = manifest.boxMax;
  const out = new IndexList();
  if (!(lx < hx && ly < hy && lz < hz)) return out.toArray(); // an empty box overlaps nothing
  for (let i = 0, k = 0; i < manifest.length; i++, k += 3) {
    if (min[k]! < hx && max[k]! > lx && min[k + 1]! < hy && max[k + 1]! > ly && min[k + 2]! < hz && max[k + 2]! > lz) {
      out.push(i);
    }
  }
  return out.toArray();
}

/** Throws INVALID_ARGUMENT unless `v` is three numbers (infinities allowed, NaN not). */
export function checkPoint(v: unknown, name: string): asserts v is Vec3 {
  check(
    Array.isArray(v) && v.length === 3 && v.every((n) => typeof n === 'number' && !Number.isNaN(n)),
    `${name} must be three numbers [x, y, z]`,
  );
}
