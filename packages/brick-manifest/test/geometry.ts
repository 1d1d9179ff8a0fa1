// Test fixtures: planes of boxes and cameras.
import type { Plane, Vec3 } from '@statemesh/brick-manifest';

/** The six inward planes of the box [lo, hi]. */
export function boxPlanes(lo: Vec3, hi: Vec3): Plane[] {
  return [
    [1, 0, 0, -lo[0]],
    [-1, 0, 0, hi[0]],
    [0, 1, 0, -lo[1]],
    [0, -1, 0, hi[1]],
    [0, 0, 1, -lo[2]],
    [0, 0, -1, hi[2]],
  ];
}

/** Column-major 4×4 product a × b. */
export function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = Array.from({ length: 16 }, () => 0);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) out[c * 4 + r]! += a[k * 4 + r]! * b[c * 4 + k]!;
  return out;
}

/** Column-major OpenGL perspective matrix (clip z in [−w, w]). */
export function perspective(fovYDegrees: number, aspect: number, near: number, far: number): number[] {
  const f = 1 / Math.tan((fovYDegrees * Math.PI) / 360);
  return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, (2 * far * near) / (near - far), 0];
}

/** Column-major view matrix of a camera at `eye` looking at `target` with +y up. */
export function lookAt(eye: Vec3, target: Vec3): number[] {
  const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const norm = (v: Vec3): Vec3 => {
    const l = Math.hypot(...v);
    return [v[0] / l, v[1] / l, v[2] / l];
  };
  const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const z = norm(sub(eye, target));
  const up: Vec3 = Math.abs(z[1]) > 0.99 ? [1, 0, 0] : [0, 1, 0];
  const x = norm(cross(up, z));
  const y = cross(z, x);
  return [x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0, -dot(x, eye), -dot(y, eye), -dot(z, eye), 1];
}
