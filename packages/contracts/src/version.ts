import { StatemeshError } from './error.js';

/**
 * The version of a value: the hybrid logical time of the write on its origin, the origin node, and the origin's
 * per-node sequence number (1, 2, ...).
 */
export interface Version {
  /** 64-bit hybrid timestamp: 48-bit wall milliseconds, 16-bit logical counter (exact, hence bigint). */
  readonly hlc: bigint;
  /**
   * The writer: its node id, or `<node id>~<incarnation>` for a writer that could not prove it had never used a
   * sequence number before (see {@link isValidOrigin}; docs/adr/0004-no-reused-sequence.md).
   */
  readonly origin: string;
  /** The origin's sequence number for this write, starting at 1. */
  readonly seq: number;
}

const ORIGIN = /^[A-Za-z0-9_-]{1,64}(?:~[0-9a-z]{1,16})?$/;

/** The longest origin: a 64-character node id, `~`, a 16-character incarnation. */
export const MAX_ORIGIN_LENGTH = 81;

/**
 * True when `origin` is a valid writer id: a node id (1-64 characters of `[A-Za-z0-9_-]`), optionally followed by
 * `~` and an incarnation of 1-16 characters of `[0-9a-z]`. Each incarnation of a node numbers its writes from 1,
 * so an `(origin, seq)` pair is never used twice even by a node restarted without any state.
 */
export function isValidOrigin(origin: unknown): origin is string {
  return typeof origin === 'string' && origin.length <= MAX_ORIGIN_LENGTH && ORIGIN.test(origin);
}

/** The node id part of a valid origin (the origin itself when it has no incarnation). */
export function nodeOfOrigin(origin: string): string {
  const at = origin.indexOf('~');
  return at === -1 ? origin : origin.slice(0, at);
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

/** A version as `JSON.stringify` writes it: the hlc as a decimal string (JSON has no 64-bit integers). */
export interface VersionJSON {
  readonly hlc: string;
  readonly origin: string;
  readonly seq: number;
}

/** `version` as JSON can carry it: the hlc as a decimal string. */
export function versionToJSON(version: Version): VersionJSON {
  return { hlc: version.hlc.toString(), origin: version.origin, seq: version.seq };
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;

/** The version `json` (from {@link versionToJSON}, or `JSON.parse` of a {@link VersionStamp}) describes; throws `INVALID_ARGUMENT` otherwise. */
export function versionFromJSON(json: unknown): VersionStamp {
  const candidate = json as Partial<VersionJSON> | null;
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.hlc !== 'string' ||
    !DECIMAL.test(candidate.hlc) ||
    BigInt(candidate.hlc) >= 1n << 64n ||
    !isValidOrigin(candidate.origin) ||
    typeof candidate.seq !== 'number' ||
    !Number.isSafeInteger(candidate.seq) ||
    candidate.seq < 1
  ) {
    throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/contracts: not a version in JSON: expected { hlc: "<decimal 64-bit>", origin, seq: <positive integer> }, as versionToJSON writes it');
  }
  return new VersionStamp(BigInt(candidate.hlc), candidate.origin, candidate.seq);
}

/**
 * A {@link Version} that `JSON.stringify` can write: its `toJSON` gives {@link VersionJSON} (the hlc as a decimal
 * string). What replicas hand to applications (a write's result, a value's and a change's version).
 */
export class VersionStamp implements Version {
  constructor(
    readonly hlc: bigint,
    readonly origin: string,
    readonly seq: number,
  ) {}

  toJSON(): VersionJSON {
    return versionToJSON(this);
  }
}
