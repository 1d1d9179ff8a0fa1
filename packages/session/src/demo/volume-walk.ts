import { BrickManifest, bricksInFrustum, frustumFromMatrix } from '@statemesh/brick-manifest';
import { planesAtLevel } from '@statemesh/volume';
import { viewProjection } from './camera.js';
import type { ViewStepReport } from './volume-viewer.js';

type Vec3 = [number, number, number];

/** The node whose view walks: a `NodeProcess` of the demo, answering `viewOpen`, `viewStep`, `viewClose`. */
export interface WalkViewer {
  request<T>(op: string, ...args: unknown[]): Promise<T>;
}

/** One camera of the walk: its view-projection matrix (column-major) and its eye, in level-0 voxels. */
export interface WalkCamera {
  readonly viewProjection: number[];
  readonly eye: Vec3;
}

/** What {@link walkVolume} measured. */
export interface VolumeWalkResult {
  readonly steps: number;
  /** Bricks of every level inside some frustum of the path (brute force), and those the view received. */
  readonly bricksEverVisible: number;
  readonly bricksReceived: number;
  /** Bytes of the bricks inside some frustum of the path, every level; the view fetched at most these. */
  readonly bytesEverVisible: number;
  readonly bytesFetched: number;
  /** Bytes of the full-resolution volume (level 0). */
  readonly bytesVolume: number;
  readonly bricksCancelled: number;
  /** Bricks fetched, by the peer that served them. */
  readonly servedBy: Readonly<Record<string, number>>;
}

/**
 * `steps` cameras on an arc of `arcDegrees` around the volume's centre, `distance` × its size from it, a little
 * above it, each looking at the centre with a `fovDegrees` field of view.
 */
export function orbitPath(dims: readonly [number, number, number], steps: number, arcDegrees = 60, distance = 0.7, fovDegrees = 20): WalkCamera[] {
  const centre: Vec3 = [dims[0] / 2, dims[1] / 2, dims[2] / 2];
  const size = Math.max(...dims);
  return Array.from({ length: steps }, (_, i) => {
    const angle = ((arcDegrees * Math.PI) / 180) * (i / Math.max(1, steps - 1));
    const eye: Vec3 = [centre[0] + size * distance * Math.sin(angle), centre[1] + size * 0.15, centre[2] - size * distance * Math.cos(angle)];
    return { viewProjection: Array.from(viewProjection(eye, centre, fovDegrees, 4 / 3, 1, size * 4)), eye };
  });
}

/** Brute force: every brick of every level inside the camera's frustum, as `level:index`. */
export function bricksSeen(manifests: readonly (BrickManifest | undefined)[], camera: WalkCamera): Set<string> {
  const planes = frustumFromMatrix(camera.viewProjection);
  const seen = new Set<string>();
  manifests.forEach((manifest, level) => {
    if (manifest === undefined) return;
    for (const index of bricksInFrustum(manifest, planesAtLevel(planes, level), { method: 'brute-force' })) seen.add(`${level}:${index}`);
  });
  return seen;
}

/**
 * Drives `viewer`'s `VolumeView` along `cameras`, one step at a time (each step waits for the view to be idle),
 * printing what it sees and fetches. Throws when a visible brick was never loaded, when the view reported an
 * error, or when it received a brick outside every frustum of the path.
 */
export async function walkVolume(
  viewer: WalkViewer,
  path: string,
  manifests: readonly (BrickManifest | undefined)[],
  cameras: readonly WalkCamera[],
  print: (line: string) => void,
  stepTimeoutMs = 60_000,
): Promise<VolumeWalkResult> {
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const bytesOf = (key: string) => {
    const [level, index] = key.split(':').map(Number) as [number, number];
    return manifests[level]?.brick(index).storedBytes ?? 0;
  };
  const bytesVolume = manifests[0] === undefined ? 0 : [...manifests[0].bricks()].reduce((sum, brick) => sum + (brick.storedBytes ?? 0), 0);
  const received = new Set<string>();
  const everVisible = new Set<string>();
  let last: ViewStepReport | undefined;
  await viewer.request('viewOpen', path);
  try {
    for (const [step, camera] of cameras.entries()) {
      const report = await viewer.request<ViewStepReport>('viewStep', camera.viewProjection, camera.eye, stepTimeoutMs);
      for (const key of report.bricks) received.add(key);
      const seen = bricksSeen(manifests, camera);
      for (const key of seen) everVisible.add(key);
      const { stats } = report;
      print(
        `   step ${String(step + 1).padStart(2)}: ${String(stats.bricksVisible).padStart(3)} bricks visible, ${String(stats.bricksLoaded).padStart(3)} loaded; ` +
          `${mib(stats.bytesFetched)} MiB fetched so far, of a ${mib(bytesVolume)} MiB volume (${report.ms.toFixed(0)} ms)`,
      );
      if (report.errors.length > 0) throw new Error(`step ${step + 1}: the view reported ${report.errors.length} error(s): ${report.errors[0]}`);
      if (report.missing.length > 0) throw new Error(`step ${step + 1}: ${report.missing.length} visible brick(s) not loaded (${report.missing.slice(0, 5).join(', ')})`);
      const neverLoaded = [...seen].filter((key) => !received.has(key));
      if (neverLoaded.length > 0) throw new Error(`step ${step + 1}: ${neverLoaded.length} brick(s) inside the frustum never arrived (${neverLoaded.slice(0, 5).join(', ')})`);
      if (stats.bricksVisible !== seen.size) throw new Error(`step ${step + 1}: the view sees ${stats.bricksVisible} bricks, brute force ${seen.size}`);
      last = report;
    }
  } finally {
    await viewer.request('viewClose').catch(() => undefined);
  }
  const outside = [...received].filter((key) => !everVisible.has(key));
  if (outside.length > 0) throw new Error(`c fetched ${outside.length} brick(s) outside every frustum of the path (${outside.slice(0, 5).join(', ')})`);
  const stats = last!.stats;
  const bytesEverVisible = [...everVisible].reduce((sum, key) => sum + bytesOf(key), 0);
  if (stats.bytesFetched > bytesEverVisible) throw new Error(`c fetched ${stats.bytesFetched} bytes, more than the ${bytesEverVisible} of every brick visible along the path`);
  return {
    steps: cameras.length,
    bricksEverVisible: everVisible.size,
    bricksReceived: received.size,
    bytesEverVisible,
    bytesFetched: stats.bytesFetched,
    bytesVolume,
    bricksCancelled: stats.bricksCancelled,
    servedBy: last!.servedBy,
  };
}
