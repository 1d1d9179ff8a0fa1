import { check } from './error.js';

/** A plane [a, b, c, d]: the points with a·x + b·y + c·z + d ≥ 0 are on its inner side. */
export type Plane = readonly [number, number, number, number];

/**
 * The six inward planes (left, right, bottom, top, near, far) of a view-projection matrix given column-major
 * (WebGL, three.js `Matrix4.elements`), with clip space −w ≤ x, y, z ≤ w. Planes are normalised (|a, b, c| = 1)
 * so that a·x + b·y + c·z + d is a distance.
 */
export function frustumFromMatrix(m: ArrayLike<number>): Plane[] {
  check(m !== null && typeof m === 'object' && m.length === 16, 'frustumFromMatrix needs 16 numbers (column-major 4×4)');
  for (let i = 0; i < 16; i++) check(Number.isFinite(m[i]), `matrix element ${i} is not a finite number`);
  // Row r of the matrix is (m[r], m[4 + r], m[8 + r], m[12 + r]); a clip-space bound w ± row is a plane.
  const row = (r: number): number[] => [m[r]!, m[4 + r]!, m[8 + r]!, m[12 + r]!];
  const w = row(3);
  const planes: Plane[] = [];
  for (const r of [0, 1, 2]) {
    const axis = row(r);
    planes.push(normalise(w.map((v, i) => v + axis[i]!)), normalise(w.map((v, i) => v - axis[i]!)));
  }
  return planes;
}

function normalise(p: number[]): Plane {
  const length = Math.hypot(p[0]!, p[1]!, p[2]!);
  const s = length > 0 ? 1 / length : 1;
  return [p[0]! * s, p[1]! * s, p[2]! * s, p[3]! * s];
}

/** Checks `planes` and packs them into a flat array, four numbers per plane. */
export function packPlanes(planes: readonly Plane[]): Float64Array {
  check(Array.isArray(planes), 'planes must be an array of [a, b, c, d]');
  const packed = new Float64Array(4 * planes.length);
  for (let p = 0; p < planes.length; p++) {
    const plane = planes[p];
    check(
      Array.isArray(plane) && plane.length === 4 && plane.every((v) => Number.isFinite(v)),
      `plane ${p} must be four finite numbers [a, b, c, d]`,
    );
    packed.set(plane, 4 * p);
  }
  return packed;
}
