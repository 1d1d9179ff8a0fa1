import { StatemeshError, type ErrorCode } from '@statemesh/contracts';

/** The prefix of every message of this package. */
export const PREFIX = '@statemesh/volume: ';

/** A {@link StatemeshError} of this package: `code`, and a message that says what to do. */
export function volumeError(code: ErrorCode, message: string, details?: Record<string, unknown>, cause?: unknown): StatemeshError {
  return new StatemeshError(code, `${PREFIX}${message}`, { ...(details === undefined ? {} : { details }), ...(cause === undefined ? {} : { cause }) });
}

/** Throws `INVALID_ARGUMENT` with `message` unless `condition` holds. */
export function check(condition: boolean, message: string, details?: Record<string, unknown>): asserts condition {
  if (!condition) throw volumeError('INVALID_ARGUMENT', message, details);
}
