import type { CheckedMutation } from '@statemesh/contracts';

// Random delivery of a log of mutations, replayable from a seed: shared by the property tests.

/** A small deterministic PRNG, so that a failing case replays from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The mutations in a random order, some duplicated, cut into batches at random points. */
export function deliveries(log: readonly CheckedMutation[], next: () => number): CheckedMutation[][] {
  const withDuplicates = [...log, ...log.filter(() => next() < 0.3)];
  const order = shuffled(withDuplicates, next);
  const batches: CheckedMutation[][] = [];
  let batch: CheckedMutation[] = [];
  for (const mutation of order) {
    batch.push(mutation);
    if (next() < 0.4) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
