/** What a catch-up's pages held that this replica refused. */
export interface Refused {
  /** Per origin, the lowest refused seq: the vector is not raised to it or past it. */
  readonly lowest: ReadonlyMap<string, number>;
  /**
   * True when a write an honest sender holds was refused for now (clock drift): what it superseded, of any origin,
   * is missing from the pages too, so no part of the sender's vector may be claimed until it is accepted.
   */
  readonly blocksAll: boolean;
}

/**
 * The writes a replica refused (clock drift, a forged own origin, authority) while applying the pages of a
 * catch-up, per catch-up source: completing that catch-up must not raise the vector over them, so the next
 * catch-up asks for them again. Writes refused on the live stream need no record: they are not in the vector, so
 * any catch-up requested since brings them again (or what replaced them) in its pages.
 */
export class CatchUpRefusals {
  readonly #open = new Map<string, { lowest: Map<string, number>; blocksAll: boolean }>();

  /**
   * Records that a page from `from` carried `(origin, seq)` and it was refused; `blocksAll` for a refusal that
   * lasts only for now (see {@link Refused.blocksAll}). An authority or forged-origin refusal does not: what such
   * a write superseded lies under the same mount, or came from a sender that forges.
   */
  record(from: string, origin: string, seq: number, blocksAll = false): void {
    let refused = this.#open.get(from);
    if (refused === undefined) {
      refused = { lowest: new Map(), blocksAll: false };
      this.#open.set(from, refused);
    }
    const lowest = refused.lowest.get(origin);
    if (lowest === undefined || seq < lowest) refused.lowest.set(origin, seq);
    if (blocksAll) refused.blocksAll = true;
  }

  /** Ends the catch-up from `from`: what it refused (a cut-off catch-up's refusals included). */
  take(from: string): Refused | undefined {
    const refused = this.#open.get(from);
    this.#open.delete(from);
    return refused;
  }
}
