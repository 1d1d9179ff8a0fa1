// The scene's values come from any peer: the page's parsers keep what is a camera, a transfer function or a
// voxel range, and refuse the rest without throwing; the camera's matrices put the volume in front of the eye.
import { describe, expect, it } from 'vitest';
import { transformPoint } from '../src/page/mat4.ts';
import { DEFAULT_CAMERA, cameraFrame, orbit, parseCamera, zoom } from '../src/page/scene-camera.ts';
import { DEFAULT_TRANSFER, parseTransfer, transferTable } from '../src/page/transfer-function.ts';
import { rangeOf, toBytes, voxelValues } from '../src/page/voxel-range.ts';

describe('scene values from peers', () => {
  it('a camera is kept with its fields clamped; anything else is refused', () => {
    expect(parseCamera({ ...DEFAULT_CAMERA, elevation: 300, distance: -4, fov: 1e9 })).toMatchObject({ elevation: 89, distance: 0.05, fov: 120 });
    for (const bad of [null, 7, 'camera', [], { ...DEFAULT_CAMERA, target: [0, 0] }, { ...DEFAULT_CAMERA, azimuth: Number.NaN }, { ...DEFAULT_CAMERA, fov: '40' }]) {
      expect(parseCamera(bad)).toBeUndefined();
    }
  });

  it('a transfer function is kept only with a known colour map and values in 0 … 1', () => {
    expect(parseTransfer({ colormap: 'bone', low: 0.9, high: 0.1, opacity: 1 })).toEqual({ colormap: 'bone', low: 0.1, high: 0.9, opacity: 1 });
    for (const bad of [{ ...DEFAULT_TRANSFER, colormap: 'toString' }, { ...DEFAULT_TRANSFER, low: -1 }, { ...DEFAULT_TRANSFER, opacity: 2 }, undefined]) expect(parseTransfer(bad)).toBeUndefined();
    const table = transferTable(DEFAULT_TRANSFER);
    expect(table.length).toBe(1024);
    expect(table[3]).toBe(0); // below `low`: transparent
    expect(table[255 * 4 + 3]).toBeGreaterThan(150); // the top: nearly opaque
  });

  it('voxels of every type scale to bytes over the range of the coarsest brick', () => {
    const u16 = new Uint8Array(new Uint16Array([0, 100, 400]).buffer);
    const values = voxelValues(u16, 'u16');
    const range = rangeOf(values);
    expect(range).toEqual({ low: 0, high: 400 });
    expect([...toBytes(values, range)]).toEqual([0, 64, 255]);
    // An odd offset (a brick inside a larger buffer) is copied, not misread.
    const odd = new Uint8Array(7);
    odd.set(new Uint8Array(new Float32Array([1.5]).buffer), 1);
    expect(Array.from(voxelValues(odd.subarray(1, 5), 'f32'))).toEqual([1.5]);
    expect(Array.from(voxelValues(new Uint8Array([0x00, 0x3c]), 'f16'))).toEqual([1]);
    expect(rangeOf([Number.NaN, Infinity])).toEqual({ low: 0, high: 1 });
    expect(rangeOf([5, 5])).toEqual({ low: 5, high: 6 });
  });

  it('the default camera sees the volume centre in the middle of the picture; orbit and zoom move it', () => {
    const frame = cameraFrame(DEFAULT_CAMERA, [64, 64, 32], 4 / 3);
    const [x, y, z] = transformPoint(frame.voxelViewProjection, [32, 32, 16]);
    expect(Math.abs(x)).toBeLessThan(1e-9);
    expect(Math.abs(y)).toBeLessThan(1e-9);
    expect(z).toBeGreaterThan(-1);
    expect(z).toBeLessThan(1);
    expect(frame.halfExtent).toEqual([0.5, 0.5, 0.25]);
    expect(orbit(DEFAULT_CAMERA, 10, 0).azimuth).toBe(DEFAULT_CAMERA.azimuth - 4);
    expect(zoom(DEFAULT_CAMERA, -1).distance).toBeLessThan(DEFAULT_CAMERA.distance);
  });
});
