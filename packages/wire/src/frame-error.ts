import { StatemeshError } from '@statemesh/contracts';

/** The error for bytes that are not a valid frame: `MALFORMED_FRAME`, naming what was wrong. */
export function malformedFrame(reason: string, cause?: unknown): StatemeshError {
  return new StatemeshError(
    'MALFORMED_FRAME',
    `@statemesh/wire: malformed frame: ${reason}; the peer sent bytes that are not statemesh protocol frames, close the connection`,
    cause === undefined ? { details: { reason } } : { cause, details: { reason } },
  );
}

/** The error for a frame object that cannot be encoded: `INVALID_ARGUMENT`, naming what was wrong. */
export function invalidFrame(reason: string): StatemeshError {
  return new StatemeshError('INVALID_ARGUMENT', `@statemesh/wire: cannot encode frame: ${reason}; fix the frame before sending it`, {
    details: { reason },
  });
}
