/**
 * The version of a value: the hybrid logical time of the write on its origin, the origin node, and the origin's
 * per-node sequence number (1, 2, ...).
 */
export interface Version {
  /** 64-bit hybrid timestamp: 48-bit wall milliseconds, 16-bit logical counter (exact, hence bigint). */
  readonly hlc: bigint;
  /** The node id that made the write. */
  readonly origin: string;
  /** The origin's sequence number for this write, starting at 1. */
  readonly seq: number;
}

/** Per origin: the highest sequence number applied with no gap before it. */
export type VersionVector = Readonly<Record<string, number>>;

/**
 * The total order of last-writer-wins: by hlc numerically, then origin byte-wise, then seq numerically.
 * Returns -1 when `a` loses to `b`, 1 when it wins, 0 when they are the same version.
 */
export function compareVersions(a: Version, b: Version): -1 | 0 | 1 {
  if (a.hlc !== b.hlc) return a.hlc < b.hlc ? -1 : 1;
  // Ids are ASCII by validation, so code-unit order is byte order.
  if (a.origin !== b.origin) return a.origin < b.origin ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

/** True when a peer at `vector` has already applied `version`. */
export function vectorCovers(vector: VersionVector, version: Pick<Version, 'origin' | 'seq'>): boolean {
  return (vector[version.origin] ?? 0) >= version.seq;
}

/** The element-wise maximum of two vectors. */
export function mergeVectors(a: VersionVector, b: VersionVector): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [origin, seq] of Object.entries(b)) if ((out[origin] ?? 0) < seq) out[origin] = seq;
  return out;
}
