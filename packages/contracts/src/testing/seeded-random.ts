/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on every platform.
 * Not for cryptography. The one definition: `@statemesh/protocol` ships it (its simulations' faults and virtual
 * time), tests take it from `@statemesh/contracts/testing`. It imports nothing (not vitest), so the subpath
 * `@statemesh/contracts/testing/seeded-random` is safe at run time and in a browser.
 */
export class SeededRandom {
  #state: number;

  /** Seeds the generator; any integer (taken modulo 2^32). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** True with probability `p` (consumes one draw only when 0 < p < 1). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** A number in [min, max] (consumes one draw only when max > min). */
  between(min: number, max: number): number {
    return max > min ? min + this.next() * (max - min) : min;
  }
}
