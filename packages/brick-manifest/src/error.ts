// This package has no runtime dependency, so it cannot import `StatemeshError` from `@statemesh/contracts`.
// It throws errors that carry the same brand, name and `code` instead: `isStatemeshError(error, 'TRUNCATED')`
// from `@statemesh/contracts` recognises them, and so does a plain `error.code === 'TRUNCATED'` check.
const BRAND_KEY = Symbol.for('@statemesh/error');

/** The `StatemeshError` codes this package throws. */
export type BrickManifestErrorCode = 'INVALID_ARGUMENT' | 'BAD_MAGIC' | 'TRUNCATED' | 'VERSION_MISMATCH' | 'CORRUPT_INPUT';

/** An error recognised as a `StatemeshError` (same brand, name and stable `code`) by `@statemesh/contracts`. */
export class BrickManifestError extends Error {
  /** Stable machine-readable code. */
  readonly code: BrickManifestErrorCode;
  /** Machine-readable facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND_KEY] = true;

  constructor(code: BrickManifestErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(`@statemesh/brick-manifest: ${message}`);
    this.name = 'StatemeshError';
    this.code = code;
    this.details = details;
  }
}

/** Throws INVALID_ARGUMENT with `message` unless `ok`. */
export function check(ok: boolean, message: string, details?: Readonly<Record<string, unknown>>): asserts ok {
  if (!ok) throw new BrickManifestError('INVALID_ARGUMENT', message, details);
}
