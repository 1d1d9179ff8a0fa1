/** Paths per chunk of the order before a chunk is split in two. */
const MAX_CHUNK = 1024;
const HALF_CHUNK = MAX_CHUNK / 2;

/**
 * The paths of a tree in sorted order, so that a subtree is one contiguous run: `scene` then every `scene.*` path
 * (`'.'` sorts right before `'/'`, which no valid path holds), never `scene-x` or `scenery`. Kept as chunks of at
 * most 1 024 sorted paths (8 bytes a path); a new path waits in a list of additions until the next walk, which
 * places them (one binary search each, or a sort and a merge when there are many), so writes pay nothing here.
 * A removed path stays until a compaction: walks skip the paths `isHeld` denies.
 */
export class PathOrder {
  #chunks: string[][] = [];
  #placed = 0;
  #added: string[] = [];
  #removed = 0;
  readonly #isHeld: (path: string) => boolean;

  constructor(isHeld: (path: string) => boolean) {
    this.#isHeld = isHeld;
  }

  /** Records a new path (a path added again after a removal is found once all the same). */
  add(path: string): void {
    this.#added.push(path);
  }

  /** Records that a path is no longer held (it is dropped at a later compaction). */
  removed(): void {
    this.#removed++;
  }

  /**
   * Calls `visit` for every path at or under `prefix` (segment-aware; `''` is every path), in sorted order,
   * removed paths not compacted yet included (the caller, which looks each one up anyway, skips them). Costs a
   * binary search and the length of the run. `visit` may add or remove paths.
   */
  forEachUnder(prefix: string, visit: (path: string) => void): void {
    this.#settle();
    if (prefix === '') {
      for (const chunk of this.#chunks.slice()) for (const path of chunk.slice()) visit(path);
      return;
    }
    // The run is collected first: `visit` may remove paths, and placing nothing meanwhile keeps chunks as they are.
    const run: string[] = [];
    const below = `${prefix}.`;
    let [c, i] = this.#seek(prefix);
    const chunks = this.#chunks;
    for (; c < chunks.length; c++, i = 0) {
      const chunk = chunks[c]!;
      for (; i < chunk.length; i++) {
        const path = chunk[i]!;
        if (path === prefix || path.startsWith(below)) run.push(path);
        else if (path > below) {
          c = chunks.length;
          break;
        }
      }
    }
    for (const path of run) visit(path);
  }

  /** The first position whose path is not below `path` in sort order. */
  #seek(path: string): [number, number] {
    const chunks = this.#chunks;
    let lo = 0;
    let hi = chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (chunk[chunk.length - 1]! < path) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return [lo, 0];
    return [lo, lowerBound(chunks[lo]!, path)];
  }

  /** Places the additions and drops removed paths when they are many. */
  #settle(): void {
    const added = this.#added;
    const compact = this.#removed > 1024 && this.#removed * 2 > this.#placed;
    if (added.length === 0 && !compact) return;
    this.#added = [];
    if (!compact && added.length * 16 <= this.#placed) {
      for (const path of added) this.#insert(path);
      return;
    }
    added.sort();
    const merged: string[] = [];
    let a = 0;
    // With nothing removed since the last compaction every path is held: no lookup per path.
    const check = this.#removed > 0;
    const push = (path: string): void => {
      if ((merged.length === 0 || merged[merged.length - 1] !== path) && (!check || this.#isHeld(path))) merged.push(path);
    };
    for (const chunk of this.#chunks) {
      for (const path of chunk) {
        while (a < added.length && added[a]! < path) push(added[a++]!);
        push(path);
      }
    }
    while (a < added.length) push(added[a++]!);
    const chunks: string[][] = [];
    for (let i = 0; i < merged.length; i += HALF_CHUNK) chunks.push(merged.slice(i, i + HALF_CHUNK));
    this.#chunks = chunks;
    this.#placed = merged.length;
    this.#removed = 0;
  }

  #insert(path: string): void {
    const chunks = this.#chunks;
    if (chunks.length === 0) {
      chunks.push([path]);
      this.#placed = 1;
      return;
    }
    let [c, i] = this.#seek(path);
    if (c === chunks.length) {
      c--;
      i = chunks[c]!.length;
    }
    const chunk = chunks[c]!;
    if (chunk[i] === path) return; // removed once, held again
    chunk.splice(i, 0, path);
    this.#placed++;
    if (chunk.length > MAX_CHUNK) chunks.splice(c, 1, chunk.slice(0, HALF_CHUNK), chunk.slice(HALF_CHUNK));
  }
}

function lowerBound(sorted: readonly string[], path: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < path) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
