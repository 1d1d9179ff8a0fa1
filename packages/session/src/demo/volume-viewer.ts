import { performance } from 'node:perf_hooks';
import { putVolume, VolumeView } from '@statemesh/volume';
import type { Session } from '../session.js';
import { makeVolume } from './volume.js';

/** What a node reports after one camera step of its view. */
export interface ViewStepReport {
  /** `level:index` of every `brick` event since the previous step. */
  readonly bricks: readonly string[];
  /** `level:index` of visible bricks that are not loaded once the view is idle. */
  readonly missing: readonly string[];
  readonly errors: readonly string[];
  readonly stats: ReturnType<VolumeView['stats']>;
  /** Blobs this node fetched so far, by the peer that served them. */
  readonly servedBy: Readonly<Record<string, number>>;
  /** From `setCamera` to idle. */
  readonly ms: number;
}

/**
 * The demo's volume requests of one node: write a volume with `putVolume`, or view one with a `VolumeView` that
 * follows the cameras the demo sends, one step at a time.
 */
export function volumeHandlers(session: Session): Record<string, (...args: never[]) => unknown> {
  let view: VolumeView | undefined;
  let bricks: string[] = [];
  let errors: string[] = [];
  return {
    putVolume: async (path: string, dims: [number, number, number]) => {
      const voxels = makeVolume(dims);
      const t0 = performance.now();
      const written = await putVolume(session, path, voxels, { dims, voxelType: 'u16' });
      await session.flush();
      return {
        ms: performance.now() - t0,
        levels: written.levels,
        bricks: written.bricks,
        bytes: written.bytes,
        manifests: written.manifests.map((manifest) => (manifest === undefined ? '' : Buffer.from(manifest.encode()).toString('base64'))),
      };
    },
    viewOpen: (path: string) => {
      view = new VolumeView(session, path, { maxBytesInFlight: 4 << 20, cacheBytes: 256 << 20 });
      view.on('brick', (level, index) => bricks.push(`${level}:${index}`));
      view.on('error', (error) => errors.push(error.message));
      return true;
    },
    viewStep: async (viewProjection: number[], eye: [number, number, number], timeoutMs: number): Promise<ViewStepReport> => {
      if (view === undefined) throw new Error('viewStep before viewOpen');
      const t0 = performance.now();
      view.setCamera(viewProjection, eye);
      await idle(view, timeoutMs);
      const missing = view.visible().filter((b) => !b.loaded).map((b) => `${b.level}:${b.index}`);
      const report = { bricks, errors, missing, stats: view.stats(), servedBy: session.blobFetchStats().byPeer, ms: performance.now() - t0 };
      bricks = [];
      errors = [];
      return report;
    },
    viewClose: () => {
      view?.close();
      view = undefined;
      return true;
    },
  };
}

/** `view.whenIdle()`, or a `TIMEOUT`-like rejection after `timeoutMs` (the timer released either way). */
async function idle(view: VolumeView, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the view was not idle after ${timeoutMs} ms (${JSON.stringify(view.stats())})`)), timeoutMs);
  });
  try {
    await Promise.race([view.whenIdle(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
