// The demo's volume step in process: a writer and a lazy viewer over real Unix sockets, the viewer's requests
// answered by the same handlers the demo's node processes use; the walk's checks pass on the real view and fail
// on a view that received a brick outside every frustum or missed a visible one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrickManifest } from '@statemesh/brick-manifest';
import { volumeHandlers, type ViewStepReport } from '../src/demo/volume-viewer.ts';
import { bricksSeen, orbitPath, walkVolume, type WalkViewer } from '../src/demo/volume-walk.ts';
import { testCluster, waitFor, type TestCluster } from './cluster.ts';

const DIMS = [128, 128, 128] as const;
const PATH = 'demo.volume';

let cluster: TestCluster;
let viewer: WalkViewer;
let manifests: (BrickManifest | undefined)[];

/** A {@link WalkViewer} answering from `handlers`, as a demo node answers the demo's requests. */
function inProcess(handlers: Record<string, (...args: never[]) => unknown>): WalkViewer {
  return { request: async <T>(op: string, ...args: unknown[]) => (await (handlers[op] as (...a: unknown[]) => unknown)(...args)) as T };
}

beforeAll(async () => {
  cluster = testCluster('walk');
  const writer = await cluster.start('w');
  const lazy = await cluster.start('v', ['w'], { hydrate: 'lazy' });
  const written = await inProcess(volumeHandlers(writer)).request<{ levels: number; manifests: string[] }>('putVolume', PATH, [...DIMS]);
  manifests = written.manifests.map((encoded) => (encoded === '' ? undefined : BrickManifest.decode(Buffer.from(encoded, 'base64'))));
  await waitFor('the viewer to hold every manifest', () => lazy.entries(PATH).length === written.levels);
  viewer = inProcess(volumeHandlers(lazy));
}, 60_000);
afterAll(async () => cluster?.close());

describe('the demo volume walk', () => {
  it('passes on the real view: every brick received was inside a frustum, fetched bytes within the visible ones', async () => {
    const cameras = orbitPath(DIMS, 6);
    const lines: string[] = [];
    const result = await walkVolume(viewer, PATH, manifests, cameras, (line) => lines.push(line));
    const everVisible = new Set(cameras.flatMap((camera) => [...bricksSeen(manifests, camera)]));
    expect(result.bricksEverVisible).toBe(everVisible.size);
    expect(result.bricksReceived).toBe(everVisible.size);
    expect(result.bytesFetched).toBeGreaterThan(0);
    expect(result.bytesFetched).toBeLessThanOrEqual(result.bytesEverVisible);
    expect(result.bytesVolume).toBe(DIMS[0] * DIMS[1] * DIMS[2] * 2);
    expect(everVisible.size).toBeLessThan(manifests.reduce((sum, m) => sum + (m?.length ?? 0), 0)); // the path misses some
    expect(lines).toHaveLength(cameras.length);
  });

  it('fails on a view that received a brick outside every frustum of the path', async () => {
    const cameras = orbitPath(DIMS, 3);
    const everVisible = new Set(cameras.flatMap((camera) => [...bricksSeen(manifests, camera)]));
    const outside = [...manifests[0]!.bricks()].map((_, index) => `0:${index}`).find((key) => !everVisible.has(key))!;
    expect(outside).toBeDefined();
    const lying: WalkViewer = {
      request: async <T>(op: string, ...args: unknown[]) => {
        const answer = await viewer.request<T>(op, ...args);
        return (op === 'viewStep' ? { ...(answer as ViewStepReport), bricks: [...(answer as ViewStepReport).bricks, outside] } : answer) as T;
      },
    };
    await expect(walkVolume(lying, PATH, manifests, cameras, () => undefined)).rejects.toThrow(/outside every frustum/);
  });

  it('fails on a view that never delivered a visible brick', async () => {
    const dropping: WalkViewer = {
      request: async <T>(op: string, ...args: unknown[]) => {
        const answer = await viewer.request<T>(op, ...args);
        return (op === 'viewStep' ? { ...(answer as ViewStepReport), bricks: (answer as ViewStepReport).bricks.slice(1) } : answer) as T;
      },
    };
    await expect(walkVolume(dropping, PATH, manifests, orbitPath(DIMS, 2), () => undefined)).rejects.toThrow(/never arrived/);
  });
});
