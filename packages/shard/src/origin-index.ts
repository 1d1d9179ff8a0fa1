/**
 * For each origin, the seqs of the versions the replica currently holds (entries and tombstones) with their
 * paths, sorted by seq, so that "what does a peer at vector V lack" is a binary search per origin plus the
 * tail, never a scan of the whole replica. Overwritten versions are dropped lazily: an item is live while the
 * replica still holds that `(origin, seq)` at its path, and an origin's list is compacted once more than half of
 * it is dead.
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
    const n = log.seqs.length;
    if (n > 0 && log.seqs[n - 1]! > seq) log.sorted = false;
    log.seqs.push(seq);
    log.paths.push(path);
  }

  /** Records that a version of `origin` is no longer held (overwritten or deleted); compacts when worthwhile. */
  retire(origin: string, isLive: (origin: string, seq: number, path: string) => boolean): void {
    const log = this.#origins.get(origin);
    if (log === undefined) return;
    log.dead++;
    if (log.dead > 1024 && log.dead * 2 > log.seqs.length) compact(origin, log, isLive);
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
    const { seqs, paths } = log;
    let lo = 0;
    let hi = seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const path = paths[i]!;
      if (isLive(origin, seq, path)) visit(seq, path);
    }
  }

  /** Every origin with at least one item. */
  origins(): string[] {
    return [...this.#origins.keys()];
  }
}

class OriginLog {
  seqs: number[] = [];
  paths: string[] = [];
  sorted = true;
  dead = 0;
}

function compact(origin: string, log: OriginLog, isLive: (origin: string, seq: number, path: string) => boolean): void {
  const order: number[] = [];
  for (let i = 0; i < log.seqs.length; i++) if (isLive(origin, log.seqs[i]!, log.paths[i]!)) order.push(i);
  if (!log.sorted) order.sort((a, b) => log.seqs[a]! - log.seqs[b]!);
  const seqs: number[] = [];
  const paths: string[] = [];
  for (const i of order) {
    seqs.push(log.seqs[i]!);
    paths.push(log.paths[i]!);
  }
  log.seqs = seqs;
  log.paths = paths;
  log.sorted = true;
  log.dead = 0;
}
