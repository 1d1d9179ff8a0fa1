const MAX_NODES = 1024;

/**
 * How far ahead of this node's clock the writes of each node are, while they are refused for it (clock drift):
 * one entry per writing node, cleared once a write of that node is accepted again. Lets a replica log a skew
 * once per node instead of once per write, and show it in its status.
 */
export class ClockSkew {
  readonly #aheadMs = new Map<string, number>();

  /** Records a refused write of `node`, `aheadMs` ahead; true when this starts a skew (log it then). */
  refused(node: string, aheadMs: number): boolean {
    const known = this.#aheadMs.has(node);
    if (known || this.#aheadMs.size < MAX_NODES) this.#aheadMs.set(node, aheadMs);
    return !known;
  }

  /** Records an accepted write of `node`; true when this ends a skew. */
  accepted(node: string): boolean {
    return this.#aheadMs.size > 0 && this.#aheadMs.delete(node);
  }

  /** Nodes whose writes are being refused, with how many milliseconds ahead the latest one was. */
  snapshot(): Record<string, number> {
    return Object.fromEntries(this.#aheadMs);
  }

  get size(): number {
    return this.#aheadMs.size;
  }
}
