import type { BrickManifest } from './brick-manifest.js';

const LEAF_BRICKS = 4;

/**
 * A bounding-volume hierarchy over any manifest's bricks: bricks sorted along a Morton (Z-order) curve of their
 * centres, cut into leaves of four, and an implicit binary tree over the leaves (node i of level L covers leaves
 * [i·2^L, (i+1)·2^L)). Boxes are the exact integer bounds of the bricks below.
 */
export class BrickBvh {
  /** Brick indices in curve order. */
  readonly order: Uint32Array;
  /** Per level, 6 numbers per node (min x, y, z, max x, y, z); levels[0] are the leaves, the last is the root. */
  readonly levels: Float64Array[];

  constructor(manifest: BrickManifest) {
    const n = manifest.length;
    const min = manifest.boxMin;
    const max = manifest.boxMax;
    let loX = Infinity, loY = Infinity, loZ = Infinity, hiX = -Infinity, hiY = -Infinity, hiZ = -Infinity;
    for (let k = 0; k < 3 * n; k += 3) {
      loX = Math.min(loX, min[k]!);
      loY = Math.min(loY, min[k + 1]!);
      loZ = Math.min(loZ, min[k + 2]!);
      hiX = Math.max(hiX, max[k]!);
      hiY = Math.max(hiY, max[k + 1]!);
      hiZ = Math.max(hiZ, max[k + 2]!);
    }
    // Twice the centre, scaled to a cell of 0..255 per axis.
    const sx = hiX > loX ? 128 / (hiX - loX) : 0, sy = hiY > loY ? 128 / (hiY - loY) : 0, sz = hiZ > loZ ? 128 / (hiZ - loZ) : 0;
    // Key = 24-bit Morton code (8 bits per axis) × 2^27 + index: exact in a double, so a native sort orders it.
    const keys = new Float64Array(n);
    for (let i = 0, k = 0; i < n; i++, k += 3) {
      const x = Math.min(255, Math.floor((min[k]! + max[k]! - 2 * loX) * sx));
      const y = Math.min(255, Math.floor((min[k + 1]! + max[k + 1]! - 2 * loY) * sy));
      const z = Math.min(255, Math.floor((min[k + 2]! + max[k + 2]! - 2 * loZ) * sz));
      keys[i] = (spread(x) | (spread(y) << 1) | (spread(z) << 2)) * 2 ** 27 + i;
    }
    keys.sort();
    this.order = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.order[i] = keys[i]! % 2 ** 27;

    const leaves = Math.max(1, Math.ceil(n / LEAF_BRICKS));
    const first = new Float64Array(6 * leaves);
    const order = this.order;
    for (let leaf = 0; leaf < leaves; leaf++) {
      let x0 = Infinity, y0 = Infinity, z0 = Infinity, x1 = -Infinity, y1 = -Infinity, z1 = -Infinity;
      const end = Math.min(n, (leaf + 1) * LEAF_BRICKS);
      for (let j = leaf * LEAF_BRICKS; j < end; j++) {
        const k = 3 * order[j]!;
        x0 = Math.min(x0, min[k]!);
        y0 = Math.min(y0, min[k + 1]!);
        z0 = Math.min(z0, min[k + 2]!);
        x1 = Math.max(x1, max[k]!);
        y1 = Math.max(y1, max[k + 1]!);
        z1 = Math.max(z1, max[k + 2]!);
      }
      const o = 6 * leaf;
      first[o] = x0;
      first[o + 1] = y0;
      first[o + 2] = z0;
      first[o + 3] = x1;
      first[o + 4] = y1;
      first[o + 5] = z1;
    }
    this.levels = [first];
    for (let below = first; below.length > 6; ) {
      const count = Math.ceil(below.length / 12);
      const level = new Float64Array(6 * count);
      for (let node = 0; node < count; node++) {
        const left = 12 * node;
        const right = left + 6 < below.length ? left + 6 : left;
        for (let axis = 0; axis < 3; axis++) {
          level[6 * node + axis] = Math.min(below[left + axis]!, below[right + axis]!);
          level[6 * node + 3 + axis] = Math.max(below[left + 3 + axis]!, below[right + 3 + axis]!);
        }
      }
      this.levels.push(level);
      below = level;
    }
  }

  /** Range of positions in `order` under node `node` of level `level`. */
  range(level: number, node: number, n: number): [number, number] {
    const span = LEAF_BRICKS * 2 ** level;
    return [node * span, Math.min(n, (node + 1) * span)];
  }
}

// Spreads the 8 bits of v to every third bit (bit i to bit 3i), for a Morton code.
function spread(v: number): number {
  let x = v & 0xff;
  x = (x | (x << 8)) & 0x00f00f;
  x = (x | (x << 4)) & 0x0c30c3;
  x = (x | (x << 2)) & 0x249249;
  return x;
}
