import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@statemesh/contracts/testing';
import { BrickManifest, bricksInFrustum, frustumFromMatrix, type Plane, type Vec3 } from '@statemesh/brick-manifest';
import { boxPlanes, lookAt, multiply, perspective } from './geometry.ts';

const brand = Symbol.for('@statemesh/error');
const statemeshError = (code: string) => expect.objectContaining({ name: 'StatemeshError', code, [brand]: true });
const list = (indices: Uint32Array) => [...indices];
// A 3×3 grid of 10³ bricks.
const grid3x3 = () => BrickManifest.forVolume([30, 30, 10], { brickDim: 10 });

describe('bricksInFrustum on a 3×3 grid of 10³ bricks', () => {
  for (const method of ['auto', 'hierarchical', 'brute-force'] as const) {
    describe(`method ${method}`, () => {
      it('keeps all 9 bricks in a box around everything', () => {
        expect(list(bricksInFrustum(grid3x3(), boxPlanes([-100, -100, -100], [100, 100, 100]), { method }))).toEqual([
          0, 1, 2, 3, 4, 5, 6, 7, 8,
        ]);
      });

      it('keeps nothing in a far box', () => {
        expect(list(bricksInFrustum(grid3x3(), boxPlanes([500, 500, 500], [600, 600, 600]), { method }))).toEqual([]);
      });

      it('keeps the bricks a unit box touches at faces and edges (touching counts as inside)', () => {
        // [10, 11]² touches bricks 0, 1 and 3 on their faces or edges and cuts into brick 4.
        expect(list(bricksInFrustum(grid3x3(), boxPlanes([10, 10, 0], [11, 11, 1]), { method }))).toEqual([0, 1, 3, 4]);
        // A plane lying exactly on the face x = 20 keeps the bricks on both sides of it.
        expect(list(bricksInFrustum(grid3x3(), boxPlanes([20, 0, 0], [20, 30, 10]), { method }))).toEqual([
          1, 2, 4, 5, 7, 8,
        ]);
      });

      it('keeps every brick when there are no planes', () => {
        expect(bricksInFrustum(grid3x3(), [], { method })).toHaveLength(9);
      });
    });
  }

  it('keeps nothing of an empty manifest', () => {
    const empty = BrickManifest.fromBricks([]);
    expect(list(bricksInFrustum(empty, boxPlanes([-100, -100, -100], [100, 100, 100])))).toEqual([]);
  });
});

describe('hierarchical cull = brute force', () => {
  const volumes: Array<[Vec3, number | Vec3]> = [
    [[64, 64, 64], 8],
    [[100, 37, 53], 8], // clipped edge bricks on every axis
    [[1, 1, 1], 32],
    [[200, 10, 90], [16, 3, 7]],
  ];

  it('on random cameras (frustumFromMatrix), for every volume', () => {
    const random = new SeededRandom(1);
    const next = (): number => random.next();
    let checked = 0;
    let nonTrivial = 0;
    for (const [dims, brickDim] of volumes) {
      const manifest = BrickManifest.forVolume(dims, { brickDim });
      for (let trial = 0; trial < 60; trial++) {
        const eye: Vec3 = [(next() - 0.25) * 3 * dims[0], (next() - 0.25) * 3 * dims[1], (next() - 0.25) * 3 * dims[2]];
        const target: Vec3 = [next() * dims[0], next() * dims[1], next() * dims[2]];
        const far = 1 + next() * 4 * Math.max(...dims);
        const projection = perspective(20 + next() * 100, 0.5 + next() * 1.5, 0.1 + next() * 10, far);
        const planes = frustumFromMatrix(multiply(projection, lookAt(eye, target)));
        const brute = bricksInFrustum(manifest, planes, { method: 'brute-force' });
        const fast = bricksInFrustum(manifest, planes, { method: 'hierarchical' });
        expect(list(fast)).toEqual(list(brute));
        checked++;
        if (brute.length > 0 && brute.length < manifest.length) nonTrivial++;
      }
    }
    expect(checked).toBe(240);
    expect(nonTrivial).toBeGreaterThan(100);
  });

  it('on random planes, including planes lying exactly on brick faces', () => {
    const random = new SeededRandom(2);
    const next = (): number => random.next();
    const grids: Array<[Vec3, Vec3]> = [
      [[100, 37, 53], [8, 8, 8]],
      [[33, 17, 9], [4, 2, 1]], // thin bricks and clipped edges
      [[7, 50, 20], [3, 1, 6]],
    ];
    for (const [dims, brickDim] of grids) {
      const manifest = BrickManifest.forVolume(dims, { brickDim });
      const span = Math.max(...dims);
      for (let trial = 0; trial < 300; trial++) {
        const planes: Plane[] = [];
        const count = Math.floor(next() * 8);
        for (let p = 0; p < count; p++) {
          // Small integer coefficients make exact touching (value 0) common; zero coefficients included.
          const coefficient = () => Math.floor(next() * 5) - 2;
          planes.push([coefficient(), coefficient(), coefficient(), Math.floor(next() * 4 * span) - span]);
        }
        expect(list(bricksInFrustum(manifest, planes, { method: 'hierarchical' }))).toEqual(
          list(bricksInFrustum(manifest, planes, { method: 'brute-force' })),
        );
      }
    }
  });

  it('finds the grid again in a decoded manifest', () => {
    const decoded = BrickManifest.decode(BrickManifest.forVolume([40, 40, 40], { brickDim: 16 }).encode());
    expect(decoded.gridShape()).toEqual([3, 3, 3]);
    const loose = BrickManifest.fromBricks([
      { origin: [0, 0, 0], size: [4, 4, 4], variableIndex: 0, elementBegin: 0, elementEnd: 64 },
    ]);
    expect(loose.gridShape()).toBeUndefined();
    expect(list(bricksInFrustum(loose, boxPlanes([0, 0, 0], [1, 1, 1]), { method: 'hierarchical' }))).toEqual([0]);
  });

  it('on manifests that are not grids (bounding-volume hierarchy), with random cameras and planes', () => {
    const random = new SeededRandom(4);
    const next = (): number => random.next();
    for (const count of [65, 300, 5000]) {
      // Overlapping bricks of random sizes anywhere in a 1000³ box, in no particular order.
      const bricks = Array.from({ length: count }, () => ({
        origin: [Math.floor(next() * 1000), Math.floor(next() * 1000), Math.floor(next() * 1000)] as const,
        size: [1 + Math.floor(next() * 60), 1 + Math.floor(next() * 60), 1 + Math.floor(next() * 60)] as const,
        variableIndex: 0,
        elementBegin: 0,
        elementEnd: 0,
      }));
      const manifest = BrickManifest.fromBricks(bricks);
      let nonTrivial = 0;
      for (let trial = 0; trial < 40; trial++) {
        const eye: Vec3 = [next() * 2000 - 500, next() * 2000 - 500, next() * 2000 - 500];
        const target: Vec3 = [next() * 1000, next() * 1000, next() * 1000];
        const camera = frustumFromMatrix(multiply(perspective(30 + next() * 90, 1, 1, 200 + next() * 2000), lookAt(eye, target)));
        const integerPlanes: Plane[] = Array.from({ length: 3 }, () => [
          Math.floor(next() * 5) - 2,
          Math.floor(next() * 5) - 2,
          Math.floor(next() * 5) - 2,
          Math.floor(next() * 3000) - 500,
        ]);
        for (const planes of [camera, integerPlanes]) {
          const brute = bricksInFrustum(manifest, planes, { method: 'brute-force' });
          expect(list(bricksInFrustum(manifest, planes, { method: 'hierarchical' }))).toEqual(list(brute));
          expect(list(bricksInFrustum(manifest, planes))).toEqual(list(brute)); // auto
          if (brute.length > 0 && brute.length < count) nonTrivial++;
        }
      }
      expect(nonTrivial).toBeGreaterThan(20);
    }
  });

  it('refuses the hierarchical method with more than 30 planes, and brute-forces them in auto', () => {
    const planes: Plane[] = Array.from({ length: 31 }, (_, i) => [1, 0, 0, i]);
    expect(() => bricksInFrustum(grid3x3(), planes, { method: 'hierarchical' })).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(bricksInFrustum(grid3x3(), planes)).toHaveLength(9);
  });
});

describe('frustumFromMatrix', () => {
  it('gives the clip cube [−1, 1]³ for the identity matrix', () => {
    const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
    expect(frustumFromMatrix(identity)).toEqual([
      [1, 0, 0, 1],
      [-1, 0, 0, 1],
      [0, 1, 0, 1],
      [0, -1, 0, 1],
      [0, 0, 1, 1],
      [0, 0, -1, 1],
    ]);
  });

  it('reads column-major matrices: a camera sees what is in front of it, within near and far', () => {
    const planes = frustumFromMatrix(multiply(perspective(60, 1, 1, 100), lookAt([0, 0, 10], [0, 0, 0])));
    const inside = (p: Vec3) => planes.every(([a, b, c, d]) => a * p[0] + b * p[1] + c * p[2] + d >= 0);
    expect(inside([0, 0, 0])).toBe(true); // 10 in front
    expect(inside([0, 0, 20])).toBe(false); // behind the eye
    expect(inside([0, 0, 9.5])).toBe(false); // nearer than the near plane
    expect(inside([0, 0, -95])).toBe(false); // beyond the far plane (105 away)
    expect(inside([0, 5, 0])).toBe(true); // tan(30°) × 10 ≈ 5.77 up is still in view
    expect(inside([0, 6, 0])).toBe(false);
    expect(inside([-6, 0, 0])).toBe(false);
    for (const [a, b, c] of planes) expect(Math.hypot(a, b, c)).toBeCloseTo(1, 12);
  });

  it('culls bricks behind the camera and keeps the ones in view', () => {
    const manifest = BrickManifest.forVolume([64, 64, 64], { brickDim: 8 }); // 512 bricks
    const planes = frustumFromMatrix(multiply(perspective(60, 1, 0.1, 1000), lookAt([32, 32, 32], [32, 32, 1000])));
    const kept = bricksInFrustum(manifest, planes);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(256); // at most the half in front, z ≥ 32 (and the touching slab)
    for (const i of kept) expect(manifest.brick(i).origin[2] + 8).toBeGreaterThanOrEqual(32);
  });

  it('refuses a matrix that is not 16 finite numbers, and bad planes', () => {
    expect(() => frustumFromMatrix([1, 2, 3])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => frustumFromMatrix(Array.from({ length: 16 }, () => Number.NaN))).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => bricksInFrustum(grid3x3(), [[1, 0, 0]] as unknown as Plane[])).toThrow(statemeshError('INVALID_ARGUMENT'));
    expect(() => bricksInFrustum(grid3x3(), [[1, 0, 0, Number.NaN]])).toThrow(statemeshError('INVALID_ARGUMENT'));
  });
});
