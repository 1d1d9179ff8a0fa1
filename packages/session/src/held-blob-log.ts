/** How many of the latest large values a node remembers holding (listed again on a new link). */
const REMEMBERED = 1024;

/**
 * The large values this node stored whole (manifest and every chunk, verified), numbered in the order they were:
 * what its `Ack` frames list (`held`), each once per link, so that a writer waiting for `replicated:N` of a large
 * value knows its bytes are here and not only its reference. Keeps the latest {@link REMEMBERED}.
 */
export class HeldBlobLog {
  readonly #digests: string[] = [];
  readonly #remembered = new Set<string>();
  /** How many were ever added: the mark of the newest. */
  #count = 0;

  /** `digest` is stored whole here now (a digest already among the remembered ones is not listed again). */
  add(digest: string): void {
    if (this.#remembered.has(digest)) return;
    this.#digests.push(digest);
    this.#remembered.add(digest);
    this.#count++;
    if (this.#digests.length > REMEMBERED) this.#remembered.delete(this.#digests.shift()!);
  }

  /** Up to `max` digests added after `mark` (the oldest still remembered when `mark` is older), and the mark of the last. */
  since(mark: number, max: number): { readonly mark: number; readonly digests: readonly string[] } {
    const first = this.#count - this.#digests.length;
    const start = Math.min(this.#count, Math.max(mark, first));
    const end = Math.min(this.#count, start + Math.max(0, max));
    return { mark: end, digests: this.#digests.slice(start - first, end - first) };
  }
}
