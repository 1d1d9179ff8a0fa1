/**
 * Which `(origin, seq)` pairs a replica has processed: per origin the highest seq with no gap before it (the
 * version vector) and the few seqs seen beyond that gap-free prefix (mutations relayed out of order).
 */
export class SeenSet {
  readonly #origins = new Map<string, OriginSeen>();
  // Batches usually hold runs of one origin: remember the last one looked up.
  #lastOrigin = '';
  #last: OriginSeen | undefined = undefined;

  #get(origin: string): OriginSeen | undefined {
    if (origin === this.#lastOrigin && this.#last !== undefined) return this.#last;
    const seen = this.#origins.get(origin);
    if (seen !== undefined) {
      this.#lastOrigin = origin;
      this.#last = seen;
    }
    return seen;
  }

  /** True when `(origin, seq)` was already recorded. */
  has(origin: string, seq: number): boolean {
    const seen = this.#get(origin);
    if (seen === undefined) return false;
    return seq <= seen.contiguous || (seen.beyond !== undefined && seen.beyond.has(seq));
  }

  /** Records `(origin, seq)`; returns false when it was already there. */
  add(origin: string, seq: number): boolean {
    let seen = this.#get(origin);
    if (seen === undefined) {
      seen = new OriginSeen();
      this.#origins.set(origin, seen);
    }
    if (seq <= seen.contiguous) return false;
    if (seq === seen.contiguous + 1) {
      seen.contiguous = seq;
      const beyond = seen.beyond;
      if (beyond !== undefined && beyond.size > 0) {
        while (beyond.delete(seen.contiguous + 1)) seen.contiguous++;
        if (beyond.size === 0) seen.beyond = undefined;
      }
      return true;
    }
    seen.beyond ??= new Set();
    if (seen.beyond.has(seq)) return false;
    seen.beyond.add(seq);
    return true;
  }

  /** Raises the gap-free prefix of `origin` to at least `upTo` (after a completed catch-up, or for local writes). */
  raise(origin: string, upTo: number): void {
    let seen = this.#get(origin);
    if (seen === undefined) {
      seen = new OriginSeen();
      this.#origins.set(origin, seen);
    }
    if (upTo <= seen.contiguous) return;
    seen.contiguous = upTo;
    const beyond = seen.beyond;
    if (beyond === undefined) return;
    for (const seq of beyond) if (seq <= upTo) beyond.delete(seq);
    while (beyond.delete(seen.contiguous + 1)) seen.contiguous++;
    if (beyond.size === 0) seen.beyond = undefined;
  }

  /** The gap-free prefix of `origin` (0 when nothing was seen). */
  contiguous(origin: string): number {
    return this.#origins.get(origin)?.contiguous ?? 0;
  }

  /** The version vector: origin -> highest seq with no gap, for every origin with at least one. */
  vector(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [origin, seen] of this.#origins) if (seen.contiguous > 0) out[origin] = seen.contiguous;
    return out;
  }

  /** How many seqs are held beyond the gap-free prefixes, over all origins. */
  beyondCount(): number {
    let count = 0;
    for (const seen of this.#origins.values()) count += seen.beyond?.size ?? 0;
    return count;
  }
}

class OriginSeen {
  contiguous = 0;
  beyond: Set<number> | undefined = undefined;
}
