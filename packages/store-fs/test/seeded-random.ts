import { SeededRandom } from '@statemesh/contracts/testing';

/** Whole numbers in [0, below) from the shared seeded generator: the same sequence for a seed, on every machine. */
export function seededRandom(seed: number): (below: number) => number {
  const random = new SeededRandom(seed);
  return (below) => Math.floor(random.next() * below);
}
