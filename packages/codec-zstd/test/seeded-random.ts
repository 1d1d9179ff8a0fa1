import { SeededRandom } from '@statemesh/contracts/testing';

/** Deterministic bytes for tests: the shared seeded generator, one draw a byte. */
export function seededBytes(length: number, seed: number): Uint8Array {
  const random = new SeededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random.next() * 256);
  return out;
}

/** Compressible text-like bytes: seeded JSON records, one a line, cut at exactly `length` bytes. */
export function seededJson(length: number, seed: number): Uint8Array {
  const noise = seededBytes(Math.ceil(length / 16), seed);
  const parts: string[] = [];
  let size = -1; // the joined length: each part and the newline before it, the first has none
  for (let i = 0; size < length; i++) {
    const part = JSON.stringify({ id: i, name: `brick-${noise[i % noise.length]}`, lod: noise[(i * 7) % noise.length]! % 5, visible: i % 3 !== 0 });
    parts.push(part);
    size += part.length + 1;
  }
  return new TextEncoder().encode(parts.join('\n').slice(0, length));
}
