// Bricks tested per second by bricksInFrustum (brute force and hierarchical) beside three.js
// `Frustum.intersectsBox` on the same boxes and the same camera, in the same run. Medians of several runs.
// Run: pnpm bench (in packages/brick-manifest).
import { Box3, Frustum, Matrix4, Vector3 } from 'three';
import { BrickManifest, bricksInFrustum, frustumFromMatrix, type Vec3 } from '@statemesh/brick-manifest';
import { SeededRandom } from '@statemesh/contracts/testing/seeded-random';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

function timeMs(runs: number, work: () => number): { ms: number; kept: number } {
  const times: number[] = [];
  let kept = work(); // warm-up: let the JIT compile before timing
  for (let run = 0; run < runs; run++) {
    const start = process.hrtime.bigint();
    kept = work();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(times), kept };
}

function multiply(a: readonly number[], b: readonly number[]): number[] {
  const out = Array.from({ length: 16 }, () => 0);
  for (let c = 0; c < 4; c++) for (let r = 0; r < 4; r++) for (let k = 0; k < 4; k++) out[c * 4 + r]! += a[k * 4 + r]! * b[c * 4 + k]!;
  return out;
}

function viewProjection(eye: Vec3, target: Vec3, fovDegrees: number): number[] {
  const m = new Matrix4().lookAt(new Vector3(...eye), new Vector3(...target), new Vector3(0, 1, 0));
  m.setPosition(...eye); // camera-to-world
  const view = m.invert().toArray();
  const f = 1 / Math.tan((fovDegrees * Math.PI) / 360);
  const [near, far] = [0.5, 4000];
  const projection = [f, 0, 0, 0, 0, f, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, (2 * far * near) / (near - far), 0];
  return multiply(projection, view);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`node ${process.version}; medians of several runs; rates are bricks tested per second\n`);

const volumes: Array<{ name: string; dims: Vec3 }> = [
  { name: '1024×1024×512 voxels, 8³ bricks (1,048,576 bricks)', dims: [1024, 1024, 512] },
  { name: '1024³ voxels, 8³ bricks (2,097,152 bricks)', dims: [1024, 1024, 1024] },
];
const cameras: Array<{ name: string; eye: Vec3; target: (dims: Vec3) => Vec3 }> = [
  { name: 'far outside, the whole volume in view', eye: [512, 700, -900], target: (d) => [d[0] / 2, d[1] / 2, d[2] / 2] },
  { name: 'close outside, the volume fills the view', eye: [300, 400, -120], target: (d) => [d[0] / 2, d[1] / 2, d[2] / 2] },
  { name: 'inside, at the centre, looking along +z', eye: [512, 512, 256], target: () => [512, 512, 4000] },
];

for (const volume of volumes) {
  const manifest = BrickManifest.forVolume(volume.dims, { brickDim: 8 });
  const n = manifest.length;
  // three.js needs one Box3 per brick: the same boxes as the manifest's flat arrays.
  const boxes: Box3[] = [];
  for (let i = 0; i < n; i++) {
    const k = 3 * i;
    boxes.push(
      new Box3(
        new Vector3(manifest.boxMin[k], manifest.boxMin[k + 1], manifest.boxMin[k + 2]),
        new Vector3(manifest.boxMax[k], manifest.boxMax[k + 1], manifest.boxMax[k + 2]),
      ),
    );
  }
  console.log(volume.name);
  for (const camera of cameras) {
    const m = viewProjection(camera.eye, camera.target(volume.dims), 60);
    const planes = frustumFromMatrix(m);
    const frustum = new Frustum().setFromProjectionMatrix(new Matrix4().fromArray(m));
    const three = timeMs(3, () => {
      let kept = 0;
      for (let i = 0; i < n; i++) if (frustum.intersectsBox(boxes[i]!)) kept++;
      return kept;
    });
    const brute = timeMs(5, () => bricksInFrustum(manifest, planes, { method: 'brute-force' }).length);
    const fast = timeMs(9, () => bricksInFrustum(manifest, planes, { method: 'hierarchical' }).length);
    const rate = (ms: number) => n / (ms / 1000);
    console.log(`  60° camera ${camera.name}: ${fmt(fast.kept)} bricks kept (three.js keeps ${fmt(three.kept)})`);
    console.log(`    three.js Frustum.intersectsBox  ${fmt(rate(three.ms)).padStart(14)} /s  (${three.ms.toFixed(2)} ms)`);
    console.log(`    bricksInFrustum brute force     ${fmt(rate(brute.ms)).padStart(14)} /s  (${brute.ms.toFixed(2)} ms)  ${(three.ms / brute.ms).toFixed(2)}x three.js`);
    console.log(`    bricksInFrustum hierarchical    ${fmt(rate(fast.ms)).padStart(14)} /s  (${fast.ms.toFixed(2)} ms)  ${(three.ms / fast.ms).toFixed(2)}x three.js`);
    if (brute.kept !== fast.kept) throw new Error('hierarchical and brute-force results differ');
  }
  console.log('');
}

// A manifest that is not a grid: the bricks of a 512³ volume (8³ bricks) in a shuffled order, culled through the
// bounding-volume hierarchy.
{
  const grid = BrickManifest.forVolume([512, 512, 512], { brickDim: 8 });
  const bricks = grid.bricks();
  const random = new SeededRandom(12345);
  for (let i = bricks.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [bricks[i], bricks[j]] = [bricks[j]!, bricks[i]!];
  }
  const manifest = BrickManifest.fromBricks(bricks);
  const n = manifest.length;
  const boxes = bricks.map((b) => new Box3(new Vector3(...b.origin), new Vector3(b.origin[0] + b.size[0], b.origin[1] + b.size[1], b.origin[2] + b.size[2])));
  console.log(`512³ voxels, 8³ bricks in shuffled order, not a grid (${fmt(n)} bricks)`);
  const m = viewProjection([100, 200, -150], [256, 256, 256], 60);
  const planes = frustumFromMatrix(m);
  const frustum = new Frustum().setFromProjectionMatrix(new Matrix4().fromArray(m));
  const buildStart = process.hrtime.bigint();
  const build = { kept: bricksInFrustum(manifest, planes, { method: 'hierarchical' }).length };
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  const three = timeMs(5, () => {
    let kept = 0;
    for (let i = 0; i < n; i++) if (frustum.intersectsBox(boxes[i]!)) kept++;
    return kept;
  });
  const brute = timeMs(5, () => bricksInFrustum(manifest, planes, { method: 'brute-force' }).length);
  const fast = timeMs(9, () => bricksInFrustum(manifest, planes, { method: 'hierarchical' }).length);
  const rate = (ms: number) => n / (ms / 1000);
  console.log(`  60° camera close outside: ${fmt(fast.kept)} bricks kept (three.js keeps ${fmt(three.kept)})`);
  console.log(`    first hierarchical cull, building the hierarchy: ${buildMs.toFixed(1)} ms`);
  console.log(`    three.js Frustum.intersectsBox  ${fmt(rate(three.ms)).padStart(14)} /s  (${three.ms.toFixed(2)} ms)`);
  console.log(`    bricksInFrustum brute force     ${fmt(rate(brute.ms)).padStart(14)} /s  (${brute.ms.toFixed(2)} ms)  ${(three.ms / brute.ms).toFixed(2)}x three.js`);
  console.log(`    bricksInFrustum hierarchical    ${fmt(rate(fast.ms)).padStart(14)} /s  (${fast.ms.toFixed(2)} ms)  ${(three.ms / fast.ms).toFixed(2)}x three.js`);
  if (brute.kept !== fast.kept || build.kept !== fast.kept) throw new Error('hierarchical and brute-force results differ');
}
