import { checkNodeId, describe, HashRingError } from './error.js';
import { fnv1a32Mixed, type HashFunction } from './hash.js';

const SPACE = 2 ** 32;

/** One contiguous range of the hash space, [begin, end), owned by `node`. */
export interface HashRange {
  /** The owning node. */
  node: string;
  /** First hash of the range (inclusive). */
  begin: number;
  /** One past the last hash of the range (exclusive); at most 2^32. */
  end: number;
}

/** Options of {@link HashPartition}. */
export interface HashPartitionOptions {
  /** Hash of a path; default `fnv1a32Mixed` (FNV-1a + murmur3 finalizer). Every node must use the same one. */
  readonly hash?: HashFunction;
}

/**
 * Hash-range partitioning: each node owns ranges of [0, 2^32); a path belongs to the node whose range holds its
 * hash. Ranges never overlap; a hash in no range has no owner. `ownerOf` is a binary search over the ranges.
 */
export class HashPartition {
  private readonly hash: HashFunction;
  // Ranges sorted by begin, kept as parallel arrays for a tight binary search.
  private begins: number[] = [];
  private ends: number[] = [];
  private owners: string[] = [];

  /** Splits [0, 2^32) into `nodes.length` equal ranges in the given order; the last ends at 2^32 exactly. */
  static uniform(nodes: readonly string[], options: HashPartitionOptions = {}): HashPartition {
    if (!Array.isArray(nodes) || nodes.length === 0) {
      throw new HashRingError('INVALID_ARGUMENT', 'HashPartition.uniform needs a non-empty array of node ids');
    }
    const seen = new Set<string>();
    for (const node of nodes) {
      checkNodeId(node);
      if (seen.has(node)) {
        throw new HashRingError('INVALID_ARGUMENT', `node ${describe(node)} is listed twice; list each node once`, {
          node,
        });
      }
      seen.add(node);
    }
    const partition = new HashPartition(options);
    const slice = Math.floor(SPACE / nodes.length);
    // The last range absorbs the remainder and ends at 2^32 itself: nothing wraps to 0, the top is never lost.
    for (let i = 0; i < nodes.length; i++) {
      partition.assign(nodes[i]!, i * slice, i === nodes.length - 1 ? SPACE : (i + 1) * slice);
    }
    return partition;
  }

  constructor(options: HashPartitionOptions = {}) {
    const hash = options.hash ?? fnv1a32Mixed;
    if (typeof hash !== 'function') {
      throw new HashRingError('INVALID_ARGUMENT', 'options.hash must be a function (key: string) => number');
    }
    this.hash = hash;
  }

  /** Gives `node` the hashes [begin, end); integers with 0 ≤ begin < end ≤ 2^32, overlapping no other range. */
  assign(node: string, begin: number, end: number): this {
    checkNodeId(node);
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > SPACE || begin >= end) {
      throw new HashRingError(
        'INVALID_ARGUMENT',
        `range [${describe(begin)}, ${describe(end)}) is not valid: use integers with 0 ≤ begin < end ≤ 2^32`,
        { node, begin, end },
      );
    }
    const at = this.firstBeginAbove(begin);
    // Only the neighbours can overlap: the range just before (sorted by begin) and the one just after.
    const before = at - 1;
    if (before >= 0 && this.ends[before]! > begin) throw this.overlap(node, begin, end, before);
    if (at < this.begins.length && this.begins[at]! < end) throw this.overlap(node, begin, end, at);
    this.begins.splice(at, 0, begin);
    this.ends.splice(at, 0, end);
    this.owners.splice(at, 0, node);
    return this;
  }

  /** The node whose range holds the hash of `path`, or undefined when no range does. */
  ownerOf(path: string): string | undefined {
    const h = this.hash(path) >>> 0;
    const i = this.firstBeginAbove(h) - 1;
    return i >= 0 && h < this.ends[i]! ? this.owners[i] : undefined;
  }

  /** True when `node` owns `path`. */
  owns(node: string, path: string): boolean {
    return this.ownerOf(path) === node;
  }

  /** Every range, sorted by `begin` (copies: changing them changes nothing). */
  ranges(): HashRange[] {
    return this.begins.map((begin, i) => ({ node: this.owners[i]!, begin, end: this.ends[i]! }));
  }

  // Index of the first range whose begin is greater than `value` (binary search).
  private firstBeginAbove(value: number): number {
    const begins = this.begins;
    let lo = 0;
    let hi = begins.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (begins[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private overlap(node: string, begin: number, end: number, index: number): HashRingError {
    const other = { node: this.owners[index]!, begin: this.begins[index]!, end: this.ends[index]! };
    return new HashRingError(
      'INVALID_ARGUMENT',
      `range [${begin}, ${end}) for node ${describe(node)} overlaps [${other.begin}, ${other.end}) of node ` +
        `${describe(other.node)}; assign disjoint ranges`,
      { node, begin, end, other },
    );
  }
}
