// Camera matrices for tests and the benchmark, column-major as WebGL and three.js keep them.
type Vec3 = readonly [number, number, number];

/** A perspective projection: vertical field of view in degrees, aspect, near and far planes (clip z in [-w, w]). */
export function perspective(fovDegrees: number, aspect: number, near: number, far: number): number[] {
  const f = 1 / Math.tan((fovDegrees * Math.PI) / 360);
  return [f / aspect, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, (2 * far * near) / (near - far), 0];
}

/** The view matrix of an eye at `eye` looking at `target`, `up` roughly up. */
export function lookAt(eye: Vec3, target: Vec3, up: Vec3 = [0, 0, 1]): number[] {
  const z = normalise([eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]]);
  const x = normalise(cross(up, z));
  const y = cross(z, x);
  const t = (a: Vec3) => -(a[0] * eye[0] + a[1] * eye[1] + a[2] * eye[2]);
  return [x[0], y[0], z[0], 0, x[1], y[1], z[1], 0, x[2], y[2], z[2], 0, t(x), t(y), t(z), 1];
}

/** a × b for column-major 4×4 matrices. */
export function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = Array.from({ length: 16 }, () => 0);
  for (let col = 0; col < 4; col++) for (let row = 0; row < 4; row++) for (let k = 0; k < 4; k++) out[col * 4 + row]! += a[k * 4 + row]! * b[col * 4 + k]!;
  return out;
}

/** One camera of a path: its view-projection matrix and its eye. */
export interface Camera {
  readonly viewProjection: number[];
  readonly eye: Vec3;
}

/** A camera at `eye` looking at `target`. */
export function camera(eye: Vec3, target: Vec3, fovDegrees = 40, far = 1000): Camera {
  return { viewProjection: multiply(perspective(fovDegrees, 1, 1, far), lookAt(eye, target)), eye };
}

/**
 * `steps` cameras on a circle of `radius` around `centre` (in the xy plane), each looking outward along the
 * radius (`outward`) or inward at the centre.
 */
export function orbit(centre: Vec3, radius: number, steps: number, options: { outward?: boolean; fovDegrees?: number; far?: number; turns?: number } = {}): Camera[] {
  const turns = options.turns ?? 1;
  return Array.from({ length: steps }, (_, i) => {
    const angle = (2 * Math.PI * turns * i) / steps;
    const eye: Vec3 = [centre[0] + radius * Math.cos(angle), centre[1] + radius * Math.sin(angle), centre[2]];
    const target: Vec3 = options.outward === true ? [centre[0] + 2 * radius * Math.cos(angle), centre[1] + 2 * radius * Math.sin(angle), centre[2]] : centre;
    return camera(eye, target, options.fovDegrees ?? 40, options.far ?? 1000);
  });
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function normalise(a: Vec3): Vec3 {
  const n = Math.hypot(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
}
