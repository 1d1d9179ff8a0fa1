import type { StatemeshError } from '@statemesh/contracts';

/** Refusals that repeat on every redial: reported once per peer and reason, not once per link. */
const ONCE_PER_PEER = new Set(['CLUSTER_MISMATCH', 'VERSION_MISMATCH']);

/**
 * Reports each Hello refusal of a kind that every redial repeats (another cluster, no common version) once per
 * peer and details (not per address: a dialling peer comes from a new port each time); other refusals are reported every time. Bounded: past `max` remembered refusals it
 * forgets the oldest.
 */
export class RefusalLog {
  readonly #seen = new Set<string>();
  readonly #report: (error: StatemeshError) => void;
  readonly #max: number;

  constructor(report: (error: StatemeshError) => void, max = 1024) {
    this.#report = report;
    this.#max = max;
  }

  /** Reports `error` unless the same refusal of the same peer was reported already. */
  refused(error: StatemeshError, peer: string): void {
    if (!ONCE_PER_PEER.has(error.code)) {
      this.#report(error);
      return;
    }
    const key = JSON.stringify([error.code, peer, error.details ?? null]);
    if (this.#seen.has(key)) return;
    if (this.#seen.size >= this.#max) this.#seen.delete(this.#seen.values().next().value!);
    this.#seen.add(key);
    this.#report(error);
  }
}
