// The shared camera: an orbit around a target, kept in the tree at `<scene>.camera` so that every tab and every
// node sees the same view. World space puts the volume's centre at the origin, its longest side 1 long.
import { invert, lookAt, multiply, perspective, scaleTranslate, type Vec3 } from './mat4.js';

/** The camera as written in the tree (JSON). Angles in degrees. */
export interface SceneCamera {
  /** Rotation around the vertical (y) axis. */
  readonly azimuth: number;
  /** Angle above the horizontal plane, −89 … 89. */
  readonly elevation: number;
  /** Distance from the target, in world units (the volume's longest side is 1). */
  readonly distance: number;
  /** Vertical field of view. */
  readonly fov: number;
  /** The point looked at, world units. */
  readonly target: Vec3;
  /** Who moved it last, a counter of that writer's moves and when (ms since the epoch): for latency figures. */
  readonly by?: string | undefined;
  readonly seq?: number | undefined;
  readonly sentAt?: number | undefined;
}

/** The camera of a scene nobody has looked at yet. */
export const DEFAULT_CAMERA: SceneCamera = { azimuth: 35, elevation: 25, distance: 2.2, fov: 40, target: [0, 0, 0] };

/** Everything a frame needs: matrices in world and in level-0 voxel space, and the eye in both. */
export interface CameraFrame {
  readonly viewProjection: number[];
  readonly inverseViewProjection: number[];
  readonly eye: Vec3;
  /** View-projection of level-0 voxel coordinates (what `VolumeView.setCamera` takes), and the eye there. */
  readonly voxelViewProjection: number[];
  readonly voxelEye: Vec3;
  /** Half the volume's extent in world units on each axis. */
  readonly halfExtent: Vec3;
}

/** The camera's value as read from the tree, or undefined when it is not a camera (a peer's bad write). */
export function parseCamera(value: unknown): SceneCamera | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
  const target = v['target'];
  if (!finite(v['azimuth']) || !finite(v['elevation']) || !finite(v['distance']) || !finite(v['fov'])) return undefined;
  if (!Array.isArray(target) || target.length !== 3 || !target.every(finite)) return undefined;
  return {
    azimuth: v['azimuth'],
    elevation: clamp(v['elevation'], -89, 89),
    distance: clamp(v['distance'], 0.05, 100),
    fov: clamp(v['fov'], 5, 120),
    target: [target[0] as number, target[1] as number, target[2] as number],
    by: typeof v['by'] === 'string' ? v['by'] : undefined,
    seq: finite(v['seq']) ? v['seq'] : undefined,
    sentAt: finite(v['sentAt']) ? v['sentAt'] : undefined,
  };
}

/** The camera turned by a drag of `dx`, `dy` pixels. */
export function orbit(camera: SceneCamera, dx: number, dy: number): SceneCamera {
  return { ...camera, azimuth: (camera.azimuth - dx * 0.4) % 360, elevation: clamp(camera.elevation + dy * 0.4, -89, 89) };
}

/** The camera moved closer (`steps` < 0) or farther. */
export function zoom(camera: SceneCamera, steps: number): SceneCamera {
  return { ...camera, distance: clamp(camera.distance * Math.exp(steps * 0.1), 0.3, 20) };
}

/** The matrices of a camera over a volume of `dims` voxels, for a viewport of aspect `aspect`. */
export function cameraFrame(camera: SceneCamera, dims: Vec3, aspect: number): CameraFrame {
  const longest = Math.max(...dims);
  const halfExtent: Vec3 = [dims[0] / longest / 2, dims[1] / longest / 2, dims[2] / longest / 2];
  const az = (camera.azimuth * Math.PI) / 180;
  const el = (camera.elevation * Math.PI) / 180;
  const t = camera.target;
  const eye: Vec3 = [t[0] + camera.distance * Math.cos(el) * Math.sin(az), t[1] + camera.distance * Math.sin(el), t[2] + camera.distance * Math.cos(el) * Math.cos(az)];
  const near = Math.max(0.01, camera.distance - 1.5);
  const far = camera.distance + 1.5;
  const viewProjection = multiply(perspective(camera.fov, aspect, near, far), lookAt(eye, t, [0, 1, 0]));
  // Level-0 voxel v sits at world v / longest − halfExtent.
  const voxelToWorld = scaleTranslate(1 / longest, [-halfExtent[0], -halfExtent[1], -halfExtent[2]]);
  return {
    viewProjection,
    inverseViewProjection: invert(viewProjection),
    eye,
    voxelViewProjection: multiply(viewProjection, voxelToWorld),
    voxelEye: [(eye[0] + halfExtent[0]) * longest, (eye[1] + halfExtent[1]) * longest, (eye[2] + halfExtent[2]) * longest],
    halfExtent,
  };
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
