import type { CheckedMutation } from '@statemesh/contracts';
import type { SeededRandom } from '@statemesh/contracts/testing';

// Random delivery of a log of mutations, replayable from a seed: shared by the property tests.

/** The items in a random order drawn from `random` (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The mutations in a random order, some duplicated, cut into batches at random points. */
export function deliveries(log: readonly CheckedMutation[], random: SeededRandom): CheckedMutation[][] {
  const withDuplicates = [...log, ...log.filter(() => random.next() < 0.3)];
  const order = shuffled(withDuplicates, random);
  const batches: CheckedMutation[][] = [];
  let batch: CheckedMutation[] = [];
  for (const mutation of order) {
    batch.push(mutation);
    if (random.next() < 0.4) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
