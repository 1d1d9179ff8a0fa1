/**
 * A hybrid timestamp: milliseconds of wall time (48 bits) and a logical counter (16 bits) that orders events
 * within one millisecond. Compare with {@link compare}; store with `pack`, `encode` or `format`.
 */
export interface HybridTime {
  /** Wall-clock milliseconds since the Unix epoch, an integer from 0 to {@link MAX_WALL_MS}. */
  readonly wallMs: number;
  /** Counter of events within `wallMs`, an integer from 0 to {@link MAX_LOGICAL}. */
  readonly logical: number;
}

/** The largest `wallMs` a {@link HybridTime} can hold: 2^48 - 1 (the year 10889). */
export const MAX_WALL_MS = 2 ** 48 - 1;

/** The largest `logical` a {@link HybridTime} can hold: 2^16 - 1. */
export const MAX_LOGICAL = 0xffff;

/** Orders two hybrid times: -1 when `a` is earlier, 1 when later, 0 when equal. */
export function compare(a: HybridTime, b: HybridTime): -1 | 0 | 1 {
  assertHybridTime(a, 'compare(a, b): a');
  assertHybridTime(b, 'compare(a, b): b');
  if (a.wallMs !== b.wallMs) return a.wallMs < b.wallMs ? -1 : 1;
  if (a.logical !== b.logical) return a.logical < b.logical ? -1 : 1;
  return 0;
}

/** True when `wallMs` is an integer from 0 to 2^48 - 1 and `logical` an integer from 0 to 2^16 - 1. */
export function isValidParts(wallMs: number, logical: number): boolean {
  return (
    Number.isInteger(wallMs) && wallMs >= 0 && wallMs <= MAX_WALL_MS &&
    Number.isInteger(logical) && logical >= 0 && logical <= MAX_LOGICAL
  );
}

/** Throws a labelled TypeError or RangeError unless `t` is a valid {@link HybridTime}. Internal. */
export function assertHybridTime(t: HybridTime, label: string): void {
  if (typeof t !== 'object' || t === null) {
    throw new TypeError(`@statemesh/hlc: ${label} must be a HybridTime {wallMs, logical}, got ${show(t)}`);
  }
  if (isValidParts(t.wallMs, t.logical)) return;
  throw invalidParts(t.wallMs, t.logical, label);
}

/** The RangeError for a wall or logical part out of range. Internal. */
export function invalidParts(wallMs: unknown, logical: unknown, label: string): RangeError {
  if (!(Number.isInteger(wallMs) && (wallMs as number) >= 0 && (wallMs as number) <= MAX_WALL_MS)) {
    return new RangeError(
      `@statemesh/hlc: ${label}.wallMs must be an integer from 0 to 2^48 - 1 (${MAX_WALL_MS}), got ${show(wallMs)}`,
    );
  }
  return new RangeError(
    `@statemesh/hlc: ${label}.logical must be an integer from 0 to 2^16 - 1 (${MAX_LOGICAL}), got ${show(logical)}`,
  );
}

/** A short rendering of a bad value for an error message. Internal. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `a Uint8Array of ${value.length} bytes`;
  return typeof value;
}
