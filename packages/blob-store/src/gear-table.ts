/**
 * The 256 32-bit gear values of the content-defined chunker, drawn from mulberry32 seeded with 0x53544d53
 * ("STMS"). Changing them changes every cut point (and so dedup with stored blobs), never correctness.
 */
export const GEAR_TABLE: Int32Array = buildGearTable(0x53544d53);

function buildGearTable(seed: number): Int32Array {
  const table = new Int32Array(256);
  let state = seed >>> 0;
  for (let i = 0; i < 256; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    table[i] = t ^ (t >>> 14);
  }
  return table;
}
