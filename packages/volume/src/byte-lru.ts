/** Byte arrays by key, least recently used dropped first once they hold more than `capacity` bytes. */
export class ByteLru {
  readonly #entries = new Map<string, Uint8Array>();
  readonly #capacity: number;
  #bytes = 0;
  #evicted = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries dropped to make room so far. */
  get evicted(): number {
    return this.#evicted;
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** The entry, leaving the order as it is. */
  peek(key: string): Uint8Array | undefined {
    return this.#entries.get(key);
  }

  /** The entry, now the most recently used. */
  get(key: string): Uint8Array | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) this.touch(key);
    return value;
  }

  /** Marks the entry as the most recently used. */
  touch(key: string): void {
    const value = this.#entries.get(key);
    if (value === undefined) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
  }

  /** Adds an entry, then drops the least recently used ones until the bytes fit (the new one always stays). */
  set(key: string, value: Uint8Array): void {
    const old = this.#entries.get(key);
    if (old !== undefined) {
      this.#bytes -= old.byteLength;
      this.#entries.delete(key);
    }
    this.#entries.set(key, value);
    this.#bytes += value.byteLength;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes <= this.#capacity || oldest === key) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.byteLength;
      this.#evicted++;
    }
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
