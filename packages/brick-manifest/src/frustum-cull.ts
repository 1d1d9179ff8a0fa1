import type { BrickManifest } from './brick-manifest.js';
import { BrickBvh } from './brick-bvh.js';
import type { Vec3 } from './brick.js';
import { check } from './error.js';
import { IndexList } from './index-list.js';
import { packPlanes, type Plane } from './plane.js';

/** Options of {@link bricksInFrustum}. */
export interface FrustumCullOptions {
  /**
   * `'auto'` (default): hierarchical with at most 30 planes (over the brick grid when the manifest is one, see
   * `gridShape()`, else over a bounding-volume hierarchy built at the manifest's second cull and kept), else
   * brute force.
   * `'hierarchical'` insists (INVALID_ARGUMENT with more than 30 planes); `'brute-force'` tests every brick.
   * All give exactly the same result.
   */
  readonly method?: 'auto' | 'hierarchical' | 'brute-force';
}

const MAX_HIERARCHICAL_PLANES = 30;

/**
 * Indices (ascending) of the bricks that may be visible: a brick is dropped only when its p-vertex (the corner
 * farthest along a plane's normal) is strictly outside some plane, so a brick that touches the frustum is kept
 * and no visible brick is ever culled.
 */
export function bricksInFrustum(
  manifest: BrickManifest,
  planes: readonly Plane[],
  options: FrustumCullOptions = {},
): Uint32Array {
  const packed = packPlanes(planes);
  const method = options.method ?? 'auto';
  check(method === 'auto' || method === 'hierarchical' || method === 'brute-force', `unknown method ${String(method)}`);
  const hierarchical = method !== 'brute-force' && planes.length <= MAX_HIERARCHICAL_PLANES;
  if (method === 'hierarchical') {
    check(hierarchical, `the hierarchical cull takes at most ${MAX_HIERARCHICAL_PLANES} planes; use method "auto"`);
  }
  // Room for every brick up to a million (4 MiB): a wide view then fills the list without growing it.
  const out = new IndexList(Math.min(manifest.length, 1 << 20));
  const grid = hierarchical ? manifest.gridShape() : undefined;
  if (grid !== undefined) {
    new GridCull(manifest, grid, packed, out).run();
  } else if (hierarchical && manifest.length > 64 && (method === 'hierarchical' || culledOnce.has(manifest))) {
    let bvh = bvhs.get(manifest);
    if (bvh === undefined) bvhs.set(manifest, (bvh = new BrickBvh(manifest)));
    cullBvh(manifest, bvh, packed, out);
  } else {
    if (hierarchical) culledOnce.add(manifest);
    cullBruteForce(manifest, packed, out);
  }
  return out.toArray();
}

// Hierarchies of manifests that are not grids; they go when their manifest goes. In 'auto' a manifest's first
// cull is brute force and the hierarchy is built at its second: a one-off cull never pays for the build (it costs
// a few brute-force culls), a viewer that culls every frame gets the hierarchy from its second frame on.
const bvhs = new WeakMap<BrickManifest, BrickBvh>();
const culledOnce = new WeakSet<BrickManifest>();

// Every test below evaluates a plane at a corner as `a * x + b * y + c * z + d`, in that order. IEEE rounding is
// monotone, so the value at a node's corner bounds the value at every brick corner inside it: the hierarchical
// cull makes exactly the decisions the brute-force cull makes.

function cullBruteForce(manifest: BrickManifest, planes: Float64Array, out: IndexList): void {
  if (planes.length <= 24) return cullSixPlanes(manifest, planes, out);
  const min = manifest.boxMin;
  const max = manifest.boxMax;
  const n = manifest.length;
  const planeValues = planes.length;
  bricks: for (let i = 0, k = 0; i < n; i++, k += 3) {
    for (let p = 0; p < planeValues; p += 4) {
      const a = planes[p]!;
      const b = planes[p + 1]!;
      const c = planes[p + 2]!;
      const x = a >= 0 ? max[k]! : min[k]!;
      const y = b >= 0 ? max[k + 1]! : min[k + 1]!;
      const z = c >= 0 ? max[k + 2]! : min[k + 2]!;
      if (a * x + b * y + c * z + planes[p + 3]! < 0) continue bricks;
    }
    out.push(i);
  }
}

// The common case, unrolled: up to six planes (missing ones are [0, 0, 0, 0], which keep everything), each with
// its p-vertex corner chosen once (the max or the min array per axis), so the loop over bricks has no branch but
// the culling ones.
function cullSixPlanes(manifest: BrickManifest, planes: Float64Array, out: IndexList): void {
  const min = manifest.boxMin;
  const max = manifest.boxMax;
  const n = manifest.length;
  const P = new Float64Array(24);
  P.set(planes);
  const a0 = P[0]!, b0 = P[1]!, c0 = P[2]!, d0 = P[3]!;
  const a1 = P[4]!, b1 = P[5]!, c1 = P[6]!, d1 = P[7]!;
  const a2 = P[8]!, b2 = P[9]!, c2 = P[10]!, d2 = P[11]!;
  const a3 = P[12]!, b3 = P[13]!, c3 = P[14]!, d3 = P[15]!;
  const a4 = P[16]!, b4 = P[17]!, c4 = P[18]!, d4 = P[19]!;
  const a5 = P[20]!, b5 = P[21]!, c5 = P[22]!, d5 = P[23]!;
  const X0 = a0 >= 0 ? max : min, Y0 = b0 >= 0 ? max : min, Z0 = c0 >= 0 ? max : min;
  const X1 = a1 >= 0 ? max : min, Y1 = b1 >= 0 ? max : min, Z1 = c1 >= 0 ? max : min;
  const X2 = a2 >= 0 ? max : min, Y2 = b2 >= 0 ? max : min, Z2 = c2 >= 0 ? max : min;
  const X3 = a3 >= 0 ? max : min, Y3 = b3 >= 0 ? max : min, Z3 = c3 >= 0 ? max : min;
  const X4 = a4 >= 0 ? max : min, Y4 = b4 >= 0 ? max : min, Z4 = c4 >= 0 ? max : min;
  const X5 = a5 >= 0 ? max : min, Y5 = b5 >= 0 ? max : min, Z5 = c5 >= 0 ? max : min;
  for (let i = 0, k = 0; i < n; i++, k += 3) {
    if (a0 * X0[k]! + b0 * Y0[k + 1]! + c0 * Z0[k + 2]! + d0 < 0) continue;
    if (a1 * X1[k]! + b1 * Y1[k + 1]! + c1 * Z1[k + 2]! + d1 < 0) continue;
    if (a2 * X2[k]! + b2 * Y2[k + 1]! + c2 * Z2[k + 2]! + d2 < 0) continue;
    if (a3 * X3[k]! + b3 * Y3[k + 1]! + c3 * Z3[k + 2]! + d3 < 0) continue;
    if (a4 * X4[k]! + b4 * Y4[k + 1]! + c4 * Z4[k + 2]! + d4 < 0) continue;
    if (a5 * X5[k]! + b5 * Y5[k + 1]! + c5 * Z5[k + 2]! + d5 < 0) continue;
    out.push(i);
  }
}

// The hierarchy visits bricks in curve order: kept bricks are flagged, then listed in ascending order by one sweep.
function cullBvh(manifest: BrickManifest, bvh: BrickBvh, planes: Float64Array, out: IndexList): void {
  const { levels, order } = bvh;
  const min = manifest.boxMin;
  const max = manifest.boxMax;
  const n = manifest.length;
  const kept = new Uint8Array(n);
  const visit = (level: number, node: number, mask: number): void => {
    const boxes = levels[level]!;
    if (6 * node >= boxes.length) return;
    const o = 6 * node;
    let inner = mask;
    for (let p = 0, bit = 1; p < planes.length; p += 4, bit *= 2) {
      if ((mask & bit) === 0) continue;
      const a = planes[p]!;
      const b = planes[p + 1]!;
      const c = planes[p + 2]!;
      const d = planes[p + 3]!;
      const x0 = boxes[o]!, y0 = boxes[o + 1]!, z0 = boxes[o + 2]!, x1 = boxes[o + 3]!, y1 = boxes[o + 4]!, z1 = boxes[o + 5]!;
      if (a * (a >= 0 ? x1 : x0) + b * (b >= 0 ? y1 : y0) + c * (c >= 0 ? z1 : z0) + d < 0) return;
      if (a * (a >= 0 ? x0 : x1) + b * (b >= 0 ? y0 : y1) + c * (c >= 0 ? z0 : z1) + d >= 0) inner -= bit;
    }
    const [begin, end] = bvh.range(level, node, n);
    if (inner === 0) {
      for (let j = begin; j < end; j++) kept[order[j]!] = 1;
      return;
    }
    if (level > 0) {
      visit(level - 1, 2 * node, inner);
      visit(level - 1, 2 * node + 1, inner);
      return;
    }
    bricks: for (let j = begin; j < end; j++) {
      const i = order[j]!;
      const k = 3 * i;
      for (let p = 0, bit = 1; p < planes.length; p += 4, bit *= 2) {
        if ((inner & bit) === 0) continue;
        const a = planes[p]!;
        const b = planes[p + 1]!;
        const c = planes[p + 2]!;
        const x = a >= 0 ? max[k]! : min[k]!;
        const y = b >= 0 ? max[k + 1]! : min[k + 1]!;
        const z = c >= 0 ? max[k + 2]! : min[k + 2]!;
        if (a * x + b * y + c * z + planes[p + 3]! < 0) continue bricks;
      }
      kept[i] = 1;
    }
  };
  const all = planes.length === 0 ? 0 : 2 ** (planes.length / 4) - 1;
  visit(levels.length - 1, 0, all);
  for (let i = 0; i < n; i++) if (kept[i] === 1) out.push(i);
}

// An implicit hierarchy over the brick grid: z-slab ranges split in halves down to one slab, then row ranges of
// that slab down to one row, then the row's visible x-interval by binary search (along a row a plane's p-vertex
// value is monotone in x). Nodes are visited in ascending brick order, so the output needs no sort. Planes a
// node lies fully inside are dropped for its children (a bit mask).
class GridCull {
  private readonly gx: number;
  private readonly gy: number;
  private readonly gz: number;
  private readonly dims: Vec3;
  private readonly brick: Vec3;

  constructor(
    manifest: BrickManifest,
    grid: Vec3,
    private readonly planes: Float64Array,
    private readonly out: IndexList,
  ) {
    [this.gx, this.gy, this.gz] = grid;
    this.dims = manifest.volume!.dims;
    this.brick = manifest.volume!.brickDim;
  }

  run(): void {
    const all = this.planes.length === 0 ? 0 : 2 ** (this.planes.length / 4) - 1;
    this.slabs(0, this.gz, all);
  }

  private lowZ = (z: number) => z * this.brick[2];
  private highZ = (z: number) => Math.min((z + 1) * this.brick[2], this.dims[2]);
  private lowY = (y: number) => y * this.brick[1];
  private highY = (y: number) => Math.min((y + 1) * this.brick[1], this.dims[1]);

  private slabs(z0: number, z1: number, mask: number): void {
    const inner = this.classify(0, this.lowY(0), this.lowZ(z0), this.dims[0], this.highY(this.gy - 1), this.highZ(z1 - 1), mask);
    if (inner < 0) return;
    if (inner === 0) return this.out.pushRange(z0 * this.gx * this.gy, z1 * this.gx * this.gy);
    if (z1 - z0 > 1) {
      const mid = (z0 + z1) >>> 1;
      this.slabs(z0, mid, inner);
      this.slabs(mid, z1, inner);
      return;
    }
    this.rows(z0, 0, this.gy, inner);
  }

  private rows(z: number, y0: number, y1: number, mask: number): void {
    const lz = this.lowZ(z);
    const hz = this.highZ(z);
    const inner = this.classify(0, this.lowY(y0), lz, this.dims[0], this.highY(y1 - 1), hz, mask);
    if (inner < 0) return;
    const rowBase = z * this.gy;
    if (inner === 0) return this.out.pushRange((rowBase + y0) * this.gx, (rowBase + y1) * this.gx);
    if (y1 - y0 > 1) {
      const mid = (y0 + y1) >>> 1;
      this.rows(z, y0, mid, inner);
      this.rows(z, mid, y1, inner);
      return;
    }
    this.row(this.lowY(y0), this.highY(y0), lz, hz, (rowBase + y0) * this.gx, inner);
  }

  // The visible bricks of one row form an interval: each plane keeps a prefix or a suffix of it.
  private row(ly: number, hy: number, lz: number, hz: number, base: number, mask: number): void {
    const planes = this.planes;
    const bx = this.brick[0];
    const dimX = this.dims[0];
    let lo = 0;
    let hi = this.gx;
    for (let p = 0, bit = 1; p < planes.length; p += 4, bit *= 2) {
      if ((mask & bit) === 0) continue;
      const a = planes[p]!;
      const b = planes[p + 1]!;
      const c = planes[p + 2]!;
      const d = planes[p + 3]!;
      const y = b >= 0 ? hy : ly;
      const z = c >= 0 ? hz : lz;
      if (a >= 0) {
        // p-vertex x = high edge of column i, growing with i: the plane keeps a suffix. First i that passes:
        let l = lo;
        let h = hi;
        while (l < h) {
          const i = (l + h) >>> 1;
          const x = Math.min((i + 1) * bx, dimX);
          if (a * x + b * y + c * z + d < 0) l = i + 1;
          else h = i;
        }
        lo = l;
      } else {
        // p-vertex x = low edge of column i; the value falls as i grows: a prefix. First i that fails:
        let l = lo;
        let h = hi;
        while (l < h) {
          const i = (l + h) >>> 1;
          const x = i * bx;
          if (a * x + b * y + c * z + d < 0) h = i;
          else l = i + 1;
        }
        hi = l;
      }
      if (lo >= hi) return;
    }
    this.out.pushRange(base + lo, base + hi);
  }

  // -1 when the box is outside a plane of `mask`; else `mask` without the planes the box lies fully inside.
  private classify(x0: number, y0: number, z0: number, x1: number, y1: number, z1: number, mask: number): number {
    const planes = this.planes;
    let inner = mask;
    for (let p = 0, bit = 1; p < planes.length; p += 4, bit *= 2) {
      if ((mask & bit) === 0) continue;
      const a = planes[p]!;
      const b = planes[p + 1]!;
      const c = planes[p + 2]!;
      const d = planes[p + 3]!;
      if (a * (a >= 0 ? x1 : x0) + b * (b >= 0 ? y1 : y0) + c * (c >= 0 ? z1 : z0) + d < 0) return -1;
      if (a * (a >= 0 ? x0 : x1) + b * (b >= 0 ? y0 : y1) + c * (c >= 0 ? z0 : z1) + d >= 0) inner -= bit;
    }
    return inner;
  }
}
