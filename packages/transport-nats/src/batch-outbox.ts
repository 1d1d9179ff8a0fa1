import type { Mutation } from '@statemesh/contracts';

/**
 * The batches published in one turn of the event loop, sent together at its end: the per-peer batches a host
 * sends to peers with interests (each a subset of one batch) become one message on the medium, each mutation
 * once and each origin's in order.
 */
export class BatchOutbox {
  readonly #parts: Mutation[][] = [];
  #queued = false;
  readonly #send: (mutations: Mutation[]) => void;

  constructor(send: (mutations: Mutation[]) => void) {
    this.#send = send;
  }

  push(mutations: Mutation[]): void {
    this.#parts.push(mutations);
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
      this.#send(parts[0]!);
      return;
    }
    const seen = new Set<Mutation>();
    const all: Mutation[] = [];
    for (const part of parts) {
      for (const m of part) {
        if (seen.has(m)) continue;
        seen.add(m);
        all.push(m);
      }
    }
    all.sort((x, y) => (x.origin === y.origin ? x.seq - y.seq : x.origin < y.origin ? -1 : 1));
    this.#send(all);
  }
}
