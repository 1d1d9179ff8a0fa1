import type { Mutation } from '@statemesh/contracts';

/** Who a batch is for: every node, every node but one, or the named nodes. */
export type Addressees = { readonly kind: 'all' } | { readonly kind: 'except'; readonly node: string } | { readonly kind: 'to'; readonly nodes: readonly string[] };

/**
 * What a node publishes, in order. A batch for everyone (or everyone but one) goes at once. Batches for single
 * peers (`to`: the per-peer subsets a host sends to peers with interests) wait for the end of the turn of the
 * event loop, or the next batch for everyone, and go together: one message, each mutation once and each
 * origin's in order, addressed to the union of their peers (receivers keep what their interests cover).
 */
export class BatchOutbox {
  readonly #parts: Array<{ mutations: Mutation[]; to: string }> = [];
  #queued = false;
  readonly #send: (mutations: Mutation[], addressees: Addressees) => void;

  constructor(send: (mutations: Mutation[], addressees: Addressees) => void) {
    this.#send = send;
  }

  push(mutations: Mutation[], to?: string, except?: string): void {
    if (to === undefined) {
      this.flush();
      this.#send(mutations, except === undefined ? { kind: 'all' } : { kind: 'except', node: except });
      return;
    }
    this.#parts.push({ mutations, to });
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => this.flush());
  }

  /** Sends what was pushed (at once: before a close, say). */
  flush(): void {
    this.#queued = false;
    const parts = this.#parts.splice(0);
    if (parts.length === 0) return;
    if (parts.length === 1) {
      this.#send(parts[0]!.mutations, { kind: 'to', nodes: [parts[0]!.to] });
      return;
    }
    const seen = new Set<Mutation>();
    const all: Mutation[] = [];
    for (const part of parts) {
      for (const m of part.mutations) {
        if (seen.has(m)) continue;
        seen.add(m);
        all.push(m);
      }
    }
    all.sort((x, y) => (x.origin === y.origin ? x.seq - y.seq : x.origin < y.origin ? -1 : 1));
    this.#send(all, { kind: 'to', nodes: [...new Set(parts.map((part) => part.to))] });
  }
}

