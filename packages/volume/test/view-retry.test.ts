// A brick fetch that fails for a passing reason (no peer up for a moment) is tried again; one that names no blob
// waits for the next camera move.
import { describe, expect, it } from 'vitest';
import { StatemeshError, type StatemeshError as Err } from '@statemesh/contracts';
import { VolumeView, putVolume } from '@statemesh/volume';
import { camera } from './camera.ts';
import { memorySession } from './memory-session.ts';

const WHOLE = camera([8, -40, 8], [8, 8, 8], 60, 200);

describe('VolumeView retries', () => {
  it('tries a brick again after NO_PEERS, and loads it without an error', async () => {
    const session = memorySession();
    await putVolume(session, 'v', new Uint8Array(16 ** 3).fill(3), { dims: [16, 16, 16], voxelType: 'u8', brickDim: 16 });
    const view = new VolumeView(session, 'v');
    const errors: Err[] = [];
    view.on('error', (error) => errors.push(error));
    await view.whenIdle();
    session.failNext.push(new StatemeshError('NO_PEERS', 'no peer'), new StatemeshError('NO_PEERS', 'no peer'));
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(view.visible()).toEqual([{ level: 0, index: 0, loaded: true }]);
    expect(errors).toEqual([]);
    expect(view.stats().bricksFailed).toBe(0);
    view.close();
  });

  it('gives up after five tries, says so once, and tries again at the next camera move', async () => {
    const session = memorySession();
    await putVolume(session, 'v', new Uint8Array(16 ** 3).fill(3), { dims: [16, 16, 16], voxelType: 'u8', brickDim: 16 });
    const view = new VolumeView(session, 'v');
    const errors: Err[] = [];
    view.on('error', (error) => errors.push(error));
    await view.whenIdle();
    for (let i = 0; i < 6; i++) session.failNext.push(new StatemeshError('TIMEOUT', 'slow'));
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
    expect(view.visible()[0]!.loaded).toBe(false);
    view.setCamera(WHOLE.viewProjection, WHOLE.eye);
    await view.whenIdle();
    expect(view.visible()[0]!.loaded).toBe(true);
    view.close();
  });
});
