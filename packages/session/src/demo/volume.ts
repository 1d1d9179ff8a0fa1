/**
 * A u16 volume the demo replicates: a soft sphere of density with a little deterministic noise, so its bricks
 * differ like real data's (the empty corners are equal bricks, stored and fetched once).
 */
export function makeVolume([nx, ny, nz]: readonly [number, number, number]): Uint16Array {
  const data = new Uint16Array(nx * ny * nz);
  const cx = nx / 2, cy = ny / 2, cz = nz / 2;
  const radius = Math.min(nx, ny, nz) * 0.45;
  let seed = 0x9e3779b9;
  let i = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++, i++) {
        const d = Math.hypot(x - cx, y - cy, z - cz) / radius;
        seed = (seed * 1664525 + 1013904223) >>> 0;
        data[i] = d < 1 ? Math.round((1 - d * d) * 60_000) + (seed >>> 28) : 0;
      }
    }
  }
  return data;
}
