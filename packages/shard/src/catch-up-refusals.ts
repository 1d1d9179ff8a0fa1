/**
 * The writes a replica refused (clock drift, a forged own origin) while applying the pages of a catch-up, per
 * catch-up source: completing that catch-up must not raise the vector over them, so the next catch-up asks for
 * them again. Writes refused on the live stream need no record: they are not in the vector, so any catch-up
 * requested since brings them again (or what replaced them) in its pages.
 */
export class CatchUpRefusals {
  /** Source -> origin -> lowest refused seq. */
  readonly #open = new Map<string, Map<string, number>>();

  /** Records that a page from `from` carried `(origin, seq)` and it was refused. */
  record(from: string, origin: string, seq: number): void {
    let refused = this.#open.get(from);
    if (refused === undefined) {
      refused = new Map();
      this.#open.set(from, refused);
    }
    const lowest = refused.get(origin);
    if (lowest === undefined || seq < lowest) refused.set(origin, seq);
  }

  /** Ends the catch-up from `from`: the lowest refused seq per origin (a cut-off catch-up's refusals included). */
  take(from: string): ReadonlyMap<string, number> | undefined {
    const refused = this.#open.get(from);
    this.#open.delete(from);
    return refused;
  }
}
