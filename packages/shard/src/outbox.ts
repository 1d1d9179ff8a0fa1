import type { CheckedMutation, Payload, Version } from '@statemesh/contracts';

/**
 * Local writes waiting to be drained, in seq order. Kept as parallel arrays rather than an object per write: a
 * bulk of writes before the next drain then costs a few array slots each and no garbage-collected objects.
 */
export class Outbox {
  #paths: string[] = [];
  /** Value type; '' marks a delete. */
  #types: string[] = [];
  #hlcs: bigint[] = [];
  #seqs: number[] = [];
  #prevs: (Version | undefined)[] = [];
  #payloads: (Payload | string | undefined)[] = [];
  #head = 0;
  /** Absolute position of index 0, so that positions handed out stay valid when the arrays are compacted. */
  #base = 0;
  /** Positions of writes whose payload is not ready (being stored as a blob): draining stops before them. */
  readonly #blocked = new Set<number>();

  /** Queues a write; returns its position (for `complete`). `payload` as text is encoded when drained. */
  push(path: string, type: string, hlc: bigint, seq: number, prev: Version | undefined, payload: Payload | string | undefined, ready: boolean): number {
    const position = this.#base + this.#paths.length;
    this.#paths.push(path);
    this.#types.push(type);
    this.#hlcs.push(hlc);
    this.#seqs.push(seq);
    this.#prevs.push(prev);
    this.#payloads.push(payload);
    if (!ready) this.#blocked.add(position);
    return position;
  }

  /** Marks the write at `position` ready to drain, with its final payload (a blob reference) when given. */
  complete(position: number, payload?: Payload): void {
    const index = position - this.#base;
    if (payload !== undefined && index >= this.#head && index < this.#paths.length) this.#payloads[index] = payload;
    this.#blocked.delete(position);
  }

  /** Number of writes not yet drained. */
  get size(): number {
    return this.#paths.length - this.#head;
  }

  /** Up to `max` ready writes as mutations of `origin`, oldest first; stops at the first one not ready. */
  drain(max: number, origin: string, encode: (text: string) => Uint8Array): CheckedMutation[] {
    const out: CheckedMutation[] = [];
    const length = this.#paths.length;
    while (this.#head < length && out.length < max) {
      const i = this.#head;
      if (this.#blocked.size > 0 && this.#blocked.has(this.#base + i)) break;
      const type = this.#types[i]!;
      const payload = this.#payloads[i];
      // One object shape for every drained mutation (absent payload and prev are undefined), for fast readers.
      // Checked: a local write's path, type and payload were checked when it was made, its version made here.
      out.push({
        origin,
        seq: this.#seqs[i]!,
        hlc: this.#hlcs[i]!,
        path: this.#paths[i]!,
        op: type === '' ? 'delete' : 'set',
        type,
        payload: typeof payload === 'string' ? encode(payload) : payload,
        prev: this.#prevs[i],
      } as CheckedMutation);
      this.#payloads[i] = undefined;
      this.#prevs[i] = undefined;
      this.#head++;
    }
    if (this.#head === length) this.#cut(length, true);
    else if (this.#head > 4096 && this.#head * 2 > length) this.#cut(this.#head, false);
    return out;
  }

  #cut(count: number, all: boolean): void {
    this.#base += count;
    this.#head = 0;
    if (all) {
      this.#paths = [];
      this.#types = [];
      this.#hlcs = [];
      this.#seqs = [];
      this.#prevs = [];
      this.#payloads = [];
      return;
    }
    this.#paths = this.#paths.slice(count);
    this.#types = this.#types.slice(count);
    this.#hlcs = this.#hlcs.slice(count);
    this.#seqs = this.#seqs.slice(count);
    this.#prevs = this.#prevs.slice(count);
    this.#payloads = this.#payloads.slice(count);
  }
}
