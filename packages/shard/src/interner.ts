/** One string object per origin id and per value type, however many decoded copies arrive (records then share it). */
export class Interner {
  readonly origins = new Map<string, string>();
  readonly types = new Map<string, string>();
  readonly #onNewOrigin: (origin: string) => void;
  #lastOrigin = '';
  #lastType = '';

  constructor(onNewOrigin: (origin: string) => void) {
    this.#onNewOrigin = onNewOrigin;
  }

  origin(origin: string): string {
    if (origin === this.#lastOrigin) return this.#lastOrigin;
    let known = this.origins.get(origin);
    if (known === undefined) {
      known = origin;
      this.origins.set(origin, origin);
      this.#onNewOrigin(origin);
    }
    this.#lastOrigin = known;
    return known;
  }

  type(type: string): string {
    if (type === this.#lastType) return this.#lastType;
    let known = this.types.get(type);
    if (known === undefined) {
      known = type;
      this.types.set(type, type);
    }
    this.#lastType = known;
    return known;
  }
}
