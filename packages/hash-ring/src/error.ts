// This package has no runtime dependency, so it cannot import `StatemeshError` from `@statemesh/contracts`.
// It throws errors that carry the same brand, name and `code` instead: `isStatemeshError(error, 'INVALID_ID')`
// from `@statemesh/contracts` recognises them, and so does a plain `error.code === 'INVALID_ID'` check.
const BRAND_KEY = Symbol.for('@statemesh/error');

/** The `StatemeshError` codes this package throws. */
export type HashRingErrorCode = 'INVALID_ARGUMENT' | 'INVALID_ID';

/** An error recognised as a `StatemeshError` (same brand, name and stable `code`) by `@statemesh/contracts`. */
export class HashRingError extends Error {
  /** Stable machine-readable code. */
  readonly code: HashRingErrorCode;
  /** Machine-readable facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND_KEY] = true;

  constructor(code: HashRingErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(`@statemesh/hash-ring: ${message}`);
    this.name = 'StatemeshError';
    this.code = code;
    this.details = details;
  }
}

/** Throws INVALID_ID unless `node` is a non-empty string. */
export function checkNodeId(node: unknown): asserts node is string {
  if (typeof node === 'string' && node.length > 0) return;
  throw new HashRingError('INVALID_ID', `a node id must be a non-empty string, got ${describe(node)}; name the node`, {
    node,
  });
}

/** A short, safe rendering of a bad argument for an error message. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return value === null ? 'null' : typeof value;
}
