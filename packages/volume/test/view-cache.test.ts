// A cache smaller than what the camera sees: the view fetches the head of its plan (coarsest, nearest) that fits,
// never a farther brick that would evict a nearer one; a camera move makes room by dropping the least recent.
import { describe, expect, it } from 'vitest';
import { VolumeView, putVolume } from '@statemesh/volume';
import { camera } from './camera.ts';
import { memorySession } from './memory-session.ts';
import { noise } from './nodes.ts';

describe('VolumeView with a small cache', () => {
  it('loads the nearest bricks that fit, and evicts the least recent on a move', async () => {
    const session = memorySession();
    await putVolume(session, 'v', noise(32 ** 3, Uint8Array), { dims: [32, 32, 32], voxelType: 'u8', brickDim: 8, levels: 1 });
    const view = new VolumeView(session, 'v', { cacheBytes: 10 * 512 });
    await view.whenIdle();
    const front = camera([16, -60, 16], [16, 16, 16], 60, 1000);
    view.setCamera(front.viewProjection, front.eye);
    await view.whenIdle();
    const visible = view.visible();
    expect(visible).toHaveLength(64);
    expect(visible.map((b) => b.loaded)).toEqual(visible.map((_, i) => i < 10)); // the ten nearest
    expect(view.stats()).toMatchObject({ bricksLoaded: 10, bricksFetched: 10, bricksEvicted: 0, bytesCached: 5120 });

    const back = camera([16, 92, 16], [16, 16, 16], 60, 1000);
    view.setCamera(back.viewProjection, back.eye);
    await view.whenIdle();
    expect(view.visible().slice(0, 10).every((b) => b.loaded)).toBe(true);
    expect(view.stats()).toMatchObject({ bricksLoaded: 10, bricksFetched: 20, bricksEvicted: 10, bytesCached: 5120 });
    view.close();
  });
});
