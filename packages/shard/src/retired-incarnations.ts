/**
 * Which incarnations of each node are over: an origin `<node>~<incarnation>` retires once an origin of the same
 * node with a later incarnation (they sort by the time they were taken) is seen. A retired incarnation never
 * writes again, so once a replica holds none of its versions its vector entry carries nothing a peer needs.
 */
export class RetiredIncarnations {
  readonly #latest = new Map<string, string>();
  readonly #retired = new Set<string>();

  /** Records a newly seen origin. */
  saw(origin: string): void {
    const at = origin.indexOf('~');
    if (at === -1) return; // a plain node id has no incarnation to order by
    const node = origin.slice(0, at);
    const latest = this.#latest.get(node);
    if (latest === undefined || incarnationOf(latest) < incarnationOf(origin)) {
      if (latest !== undefined) this.#retired.add(latest);
      this.#latest.set(node, origin);
    } else if (latest !== origin) this.#retired.add(origin);
  }

  /** The retired origins. */
  retired(): ReadonlySet<string> {
    return this.#retired;
  }
}

function incarnationOf(origin: string): string {
  return origin.slice(origin.indexOf('~') + 1);
}
