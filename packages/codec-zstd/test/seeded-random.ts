/** Deterministic bytes for tests: mulberry32 seeded by `seed`. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

/** Compressible text-like bytes: seeded JSON records, about `length` bytes long. */
export function seededJson(length: number, seed: number): Uint8Array {
  const noise = seededBytes(Math.ceil(length / 16), seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const part = JSON.stringify({ id: i, name: `brick-${noise[i % noise.length]}`, lod: noise[(i * 7) % noise.length]! % 5, visible: i % 3 !== 0 });
    parts.push(part);
    size += part.length + 1;
  }
  return new TextEncoder().encode(parts.join('\n').slice(0, length));
}
