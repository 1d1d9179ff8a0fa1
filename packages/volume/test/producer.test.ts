// A producer writes a volume brick by brick with putBricks while a lazy viewer looks on over IPC: each new
// manifest (a chunked blob the viewer fetches, 4 096 bricks) re-plans the view, and the new bricks arrive.
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '@statemesh/contracts/testing';
import { VolumeView, putBricks } from '@statemesh/volume';
import { camera } from './camera.ts';
import { nodes, type Nodes } from './nodes.ts';

let net: Nodes;
afterAll(async () => net?.close());

describe('putBricks and a watching view', () => {
  it('re-plans on every new manifest and loads the bricks as they are made', async () => {
    net = nodes('producer');
    const { session: producer } = await net.start('producer');
    const { session: viewer } = await net.start('viewer', ['producer'], { hydrate: 'lazy' });
    const shape = { dims: [128, 128, 128] as [number, number, number], voxelType: 'u8' as const, brickDim: 8, levels: 1 };
    const brick = (index: number) => ({ index, voxels: new Uint8Array(512).fill(index % 251) });
    // The first slab of bricks (z = 0): 256 of 4 096.
    await putBricks(producer, 'sim.density', Array.from({ length: 256 }, (_, i) => brick(i)), shape);
    await waitFor(() => viewer.get('sim.density') !== undefined, { message: 'the manifest at the viewer' });
    expect(viewer.get('sim.density')?.pending).toBe(true); // over 64 KiB: a chunked blob, fetched on demand

    const view = new VolumeView(viewer, 'sim.density');
    const arrived = new Set<number>();
    view.on('brick', (_level, index) => arrived.add(index));
    const whole = camera([64, -200, 64], [64, 64, 64], 60, 1000);
    view.setCamera(whole.viewProjection, whole.eye);
    await view.whenIdle();
    expect(view.stats()).toMatchObject({ bricksTotal: 256, bricksVisible: 256, bricksLoaded: 256 });

    // The next slab: a new manifest, keeping the first slab's digests.
    await putBricks(producer, 'sim.density', Array.from({ length: 256 }, (_, i) => brick(256 + i)), shape);
    await waitFor(() => view.stats().bricksVisible === 512, { message: 'the second slab visible' });
    await view.whenIdle();
    expect(view.stats()).toMatchObject({ bricksTotal: 512, bricksLoaded: 512 });
    expect(arrived.size).toBe(512);
    view.close();
  });
});
