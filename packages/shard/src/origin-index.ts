/**
 * For each origin, the seqs of the versions the replica currently holds (entries and tombstones) with their
 * paths, sorted by seq, so that "what does a peer at vector V lack" is a binary search per origin plus the
 * tail, never a scan of the whole replica. Overwritten versions are dropped lazily: an item is live while the
 * replica still holds that `(origin, seq)` at its path, and an origin's list is compacted once more than half of
 * it is dead. Seqs are kept in a `Uint32Array` (4 bytes an entry), widened to a `Float64Array` past 2^32 - 1.
 */
export class OriginIndex {
  readonly #origins = new Map<string, OriginLog>();
  #lastOrigin = '';
  #last: OriginLog | undefined = undefined;

  /** Records that the replica now holds `(origin, seq)` at `path`. */
  add(origin: string, seq: number, path: string): void {
    let log = origin === this.#lastOrigin ? this.#last : this.#origins.get(origin);
    if (log === undefined) {
      log = new OriginLog();
      this.#origins.set(origin, log);
    }
    this.#lastOrigin = origin;
    this.#last = log;
    const n = log.length;
    if (n > 0 && log.seqs[n - 1]! > seq) log.sorted = false;
    if (n === log.seqs.length || (seq > 0xffff_ffff && log.seqs instanceof Uint32Array)) log.grow(seq);
    log.seqs[n] = seq;
    log.paths.push(path);
    log.length = n + 1;
  }

  /** Records that a version of `origin` is no longer held (overwritten or deleted); compacts when worthwhile. */
  retire(origin: string, isLive: (origin: string, seq: number, path: string) => boolean): void {
    const log = this.#origins.get(origin);
    if (log === undefined) return;
    log.dead++;
    if (log.dead > 1024 && log.dead * 2 > log.length) compact(origin, log, isLive);
  }

  /**
   * Calls `visit` for every live item of `origin` whose seq is above `after`, in seq order.
   * `visit` must not change the replica.
   */
  forEachAfter(
    origin: string,
    after: number,
    isLive: (origin: string, seq: number, path: string) => boolean,
    visit: (seq: number, path: string) => void,
  ): void {
    const log = this.#origins.get(origin);
    if (log === undefined) return;
    if (!log.sorted) compact(origin, log, isLive);
    const { seqs, paths, length } = log;
    let lo = 0;
    let hi = length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < length; i++) {
      const seq = seqs[i]!;
      const path = paths[i]!;
      if (isLive(origin, seq, path)) visit(seq, path);
    }
  }

  /** How many versions of `origin` the replica holds. */
  liveCount(origin: string): number {
    const log = this.#origins.get(origin);
    return log === undefined ? 0 : log.length - log.dead;
  }

  /** Every origin with at least one item. */
  origins(): string[] {
    return [...this.#origins.keys()];
  }
}

class OriginLog {
  seqs: Uint32Array | Float64Array = new Uint32Array(16);
  paths: string[] = [];
  length = 0;
  sorted = true;
  dead = 0;

  /** Makes room for one more seq (and widens the storage when `seq` does not fit 32 bits). */
  grow(seq: number): void {
    const wide = this.seqs instanceof Float64Array || seq > 0xffff_ffff;
    const capacity = this.length === this.seqs.length ? Math.ceil(this.seqs.length * 1.5) + 16 : this.seqs.length;
    const next = wide ? new Float64Array(capacity) : new Uint32Array(capacity);
    next.set(this.seqs.subarray(0, this.length));
    this.seqs = next;
  }
}

function compact(origin: string, log: OriginLog, isLive: (origin: string, seq: number, path: string) => boolean): void {
  const order: number[] = [];
  for (let i = 0; i < log.length; i++) if (isLive(origin, log.seqs[i]!, log.paths[i]!)) order.push(i);
  if (!log.sorted) order.sort((a, b) => log.seqs[a]! - log.seqs[b]!);
  const seqs = log.seqs instanceof Float64Array ? new Float64Array(order.length + 16) : new Uint32Array(order.length + 16);
  const paths: string[] = [];
  for (let i = 0; i < order.length; i++) {
    seqs[i] = log.seqs[order[i]!]!;
    paths.push(log.paths[order[i]!]!);
  }
  log.seqs = seqs;
  log.paths = paths;
  log.length = order.length;
  log.sorted = true;
  log.dead = 0;
}
