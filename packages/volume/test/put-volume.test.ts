// putVolume and putBricks against a session stand-in in memory: levels, digests, downsampling, bad arguments.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BrickManifest } from '@statemesh/brick-manifest';
import { isStatemeshError } from '@statemesh/contracts';
import { autoLevels, levelPath, putBricks, putVolume } from '@statemesh/volume';
import { memorySession } from './memory-session.ts';

describe('putVolume', () => {
  it('halves each level (mean of 2×2×2, edges clipped) and names every brick by the SHA-256 of its voxels', async () => {
    const session = memorySession();
    // 5 × 3 × 2 u8 voxels, value = x + 10y + 100z (z ≤ 1 keeps it under 256).
    const voxels = new Uint8Array(30).map((_, i) => (i % 5) + 10 * (Math.floor(i / 5) % 3) + 100 * Math.floor(i / 15));
    const result = await putVolume(session, 'v', voxels, { dims: [5, 3, 2], voxelType: 'u8', brickDim: 2 });
    expect(result.levels).toBe(autoLevels([5, 3, 2], [2, 2, 2]));
    expect(result.levels).toBe(3); // 5×3×2 → 3×2×1 → 2×1×1 (one brick)
    const level1 = BrickManifest.decode(session.get(levelPath('v', 1))!.bytes!);
    expect(level1.volume!.dims).toEqual([3, 2, 1]);
    // Voxel (0,0,0) of level 1 is the mean of x∈{0,1}, y∈{0,1}, z∈{0,1}: (0+1+10+11+100+101+110+111)/8 = 55.5 → 56.
    const first = session.blobs.get(level1.brick(0).digest!)!;
    expect(first[0]).toBe(56);
    // The edge voxel (2,1,0) covers x=4, y=2, z∈{0,1}: (24 + 124) / 2 = 74.
    const edge = level1.brick(1); // origin [2,0,0], size [1,2,1]
    expect(edge.size).toEqual([1, 2, 1]);
    expect(session.blobs.get(edge.digest!)![1]).toBe(74);
    for (const level of [0, 1, 2]) {
      const manifest = BrickManifest.decode(session.get(levelPath('v', level))!.bytes!);
      for (const brick of manifest.bricks()) {
        const blob = session.blobs.get(brick.digest!)!;
        expect(createHash('sha256').update(blob).digest('hex')).toBe(brick.digest);
        expect(blob.byteLength).toBe(brick.storedBytes);
      }
    }
  });

  it('keeps f32 means exact and cuts bricks x fastest', async () => {
    const session = memorySession();
    const voxels = Float32Array.from({ length: 4 * 4 * 4 }, (_, i) => i);
    const result = await putVolume(session, 'f', voxels, { dims: [4, 4, 4], voxelType: 'f32', brickDim: 2, levels: 2 });
    const brick1 = result.manifests[0]!.brick(1); // origin [2,0,0]
    const bytes = session.blobs.get(brick1.digest!)!;
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 8))).toEqual([2, 3, 6, 7, 18, 19, 22, 23]);
    const coarse = session.blobs.get(result.manifests[1]!.brick(0).digest!)!;
    expect(new Float32Array(coarse.buffer, coarse.byteOffset, 1)[0]).toBe((0 + 1 + 4 + 5 + 16 + 17 + 20 + 21) / 8);
  });

  it('refuses bad arguments with INVALID_ARGUMENT and writes nothing', async () => {
    const session = memorySession();
    const bad: [unknown, object][] = [
      [new Uint8Array(10), { dims: [4, 4, 4], voxelType: 'u8' }],
      [new Uint8Array(64), { dims: [4, 4, 0], voxelType: 'u8' }],
      [new Uint8Array(64), { dims: [4, 4, 4], voxelType: 'u7' }],
      [new Uint8Array(64), { dims: [4, 4, 4], voxelType: 'u8', levels: 9 }],
      [[1, 2, 3], { dims: [1, 1, 3], voxelType: 'u8' }],
    ];
    for (const [voxels, options] of bad) {
      await expect(putVolume(session, 'x', voxels as Uint8Array, options as never)).rejects.toSatisfy(
        (error: unknown) => isStatemeshError(error, 'INVALID_ARGUMENT') && error.message.startsWith('@statemesh/volume: '),
      );
    }
    expect(session.values.size + session.blobs.size).toBe(0);
  });
});

describe('putBricks', () => {
  it('adds bricks as a producer makes them, keeping the ones written before', async () => {
    const session = memorySession();
    const shape = { dims: [4, 2, 2] as [number, number, number], voxelType: 'u8' as const, brickDim: 2, levels: 1 };
    await putBricks(session, 'sim', [{ index: 0, voxels: new Uint8Array(8).fill(1) }], shape);
    let manifest = BrickManifest.decode(session.get('sim')!.bytes!);
    expect(manifest.brick(0).digest).toBeDefined();
    expect(manifest.brick(1).digest).toBeUndefined(); // not made yet
    await putBricks(session, 'sim', [{ index: 1, voxels: new Uint8Array(8).fill(2) }], shape);
    manifest = BrickManifest.decode(session.get('sim')!.bytes!);
    expect(session.blobs.get(manifest.brick(0).digest!)![0]).toBe(1);
    expect(session.blobs.get(manifest.brick(1).digest!)![0]).toBe(2);
    await expect(putBricks(session, 'sim', [{ index: 2, voxels: new Uint8Array(8) }], shape)).rejects.toSatisfy((e: unknown) => isStatemeshError(e, 'INVALID_ARGUMENT'));
    await expect(putBricks(session, 'sim', [{ index: 0, voxels: new Uint8Array(7) }], shape)).rejects.toSatisfy(
      (e: unknown) => isStatemeshError(e, 'INVALID_ARGUMENT') && e.message.includes('needs 8'),
    );
  });
});
