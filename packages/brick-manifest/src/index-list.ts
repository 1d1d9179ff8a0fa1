/** A growable list of brick indices that ends as an exact-length Uint32Array. */
export class IndexList {
  private buffer: Uint32Array;
  /** Number of indices pushed. */
  length = 0;

  constructor(capacity = 256) {
    this.buffer = new Uint32Array(Math.max(16, capacity));
  }

  /** Appends one index. */
  push(index: number): void {
    if (this.length === this.buffer.length) this.grow(this.length + 1);
    this.buffer[this.length++] = index;
  }

  /** Appends begin, begin + 1, …, end − 1. */
  pushRange(begin: number, end: number): void {
    const count = end - begin;
    if (count <= 0) return;
    if (this.length + count > this.buffer.length) this.grow(this.length + count);
    const buffer = this.buffer;
    let at = this.length;
    for (let i = begin; i < end; i++) buffer[at++] = i;
    this.length = at;
  }

  /** The indices as an array of exactly the right length (a view when that wastes little memory, else a copy). */
  toArray(): Uint32Array {
    return 2 * this.length >= this.buffer.length ? this.buffer.subarray(0, this.length) : this.buffer.slice(0, this.length);
  }

  private grow(needed: number): void {
    const next = new Uint32Array(Math.max(needed, 2 * this.buffer.length));
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }
}
