import { SeededRandom } from '@statemesh/contracts/testing';

// Deterministic pseudo-random bytes for tests (the shared seeded generator, one draw a byte), so a failing case
// can be replayed.
export function seededBytes(length: number, seed = 1): Uint8Array {
  const random = new SeededRandom(seed);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(random.next() * 256);
  return out;
}
