/** Stable codes carried by every {@link StatemeshError}. Scripts and callers may switch on them. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'INVALID_PATH',
  'INVALID_ID',
  'INVALID_TYPE',
  'INVALID_CONFIG',
  'VALUE_TOO_LARGE',
  'RESERVED_PATH',
  'READ_ONLY',
  'FRAME_TOO_LARGE',
  'MALFORMED_FRAME',
  'BAD_MAGIC',
  'TRUNCATED',
  'VERSION_MISMATCH',
  'CLUSTER_MISMATCH',
  'UNAUTHENTICATED',
  'TLS_REQUIRED',
  'CHUNK_DIGEST_MISMATCH',
  'CHUNK_NOT_FOUND',
  'BLOB_NOT_FOUND',
  'NO_PEERS',
  'PEER_UNAVAILABLE',
  'BACKPRESSURE',
  'TIMEOUT',
  'CANCELLED',
  'CLOSED',
  'NOT_STARTED',
  'CLOCK_DRIFT',
  'DECODED_TOO_LARGE',
  'CORRUPT_INPUT',
  'COMPRESSION_FAILED',
  'UNKNOWN_CODEC',
  'IO_ERROR',
  'STORE_CORRUPT',
  'STORE_FULL',
  'INTERNAL',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];

// A string brand rather than `instanceof`: two installed copies of this package must still recognise each
// other's errors (a dependency tree can hold several versions of `@statemesh/contracts`).
const BRAND = '@statemesh/error';
const BRAND_KEY = Symbol.for(BRAND);

/** Options accepted by {@link StatemeshError}. */
export interface StatemeshErrorOptions {
  /** The underlying error, if any. */
  readonly cause?: unknown;
  /** Machine-readable facts about the failure (the offending path, the limit, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error type statemesh throws at its users. `code` is stable; `message` starts with the package name
 * (`@statemesh/hlc: ...`) and says what to do about it.
 */
export class StatemeshError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Machine-readable facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  readonly [BRAND_KEY] = true;

  constructor(code: ErrorCode, message: string, options: StatemeshErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StatemeshError';
    this.code = code;
    this.details = options.details;
  }
}

/** True when `error` is a {@link StatemeshError} from any installed copy of this package; narrows by `code`. */
export function isStatemeshError(error: unknown, code?: ErrorCode): error is StatemeshError {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[BRAND_KEY] !== true) return false;
  return code === undefined || (error as { code?: unknown }).code === code;
}
