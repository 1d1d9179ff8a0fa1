import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CODES, StatemeshError, type ErrorCode } from '@statemesh/contracts';

/** Trailing metadata key carrying the statemesh error code of a refused or failed call. */
export const CODE_TRAILER = 'statemesh-code';

const STATUS_OF: Partial<Record<ErrorCode, Status>> = {
  UNAUTHENTICATED: Status.UNAUTHENTICATED,
  TLS_REQUIRED: Status.UNAUTHENTICATED,
  CLUSTER_MISMATCH: Status.FAILED_PRECONDITION,
  VERSION_MISMATCH: Status.FAILED_PRECONDITION,
  INVALID_ID: Status.FAILED_PRECONDITION,
  INVALID_CONFIG: Status.FAILED_PRECONDITION,
  MALFORMED_FRAME: Status.INVALID_ARGUMENT,
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  FRAME_TOO_LARGE: Status.RESOURCE_EXHAUSTED,
  BACKPRESSURE: Status.RESOURCE_EXHAUSTED,
  TIMEOUT: Status.DEADLINE_EXCEEDED,
  CLOSED: Status.UNAVAILABLE,
  PEER_UNAVAILABLE: Status.UNAVAILABLE,
};

/** The status a served call ends with for a refusal or failure of `code`, with the code in the trailers. */
export function refusalStatus(code: ErrorCode, details: string): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set(CODE_TRAILER, code);
  return { code: STATUS_OF[code] ?? Status.ABORTED, details, metadata };
}

/** The error a dialling side reads from a non-OK status: the trailer's code when present, else one from the status. */
export function errorOfStatus(status: StatusObject, address: string): StatemeshError {
  const trailer = status.metadata?.get(CODE_TRAILER)[0];
  const fromStatus: ErrorCode =
    status.code === Status.UNAUTHENTICATED || status.code === Status.PERMISSION_DENIED
      ? 'UNAUTHENTICATED'
      : status.code === Status.RESOURCE_EXHAUSTED
        ? 'FRAME_TOO_LARGE'
        : status.code === Status.INVALID_ARGUMENT
          ? 'MALFORMED_FRAME'
          : status.code === Status.DEADLINE_EXCEEDED
            ? 'TIMEOUT'
            : 'PEER_UNAVAILABLE';
  const code = ERROR_CODES.includes(trailer as ErrorCode) ? (trailer as ErrorCode) : fromStatus;
  const name = Status[status.code] ?? String(status.code);
  const hint = code === 'UNAUTHENTICATED' ? '; give the token (and certificate) that node expects' : '';
  return new StatemeshError(code, `@statemesh/transport-grpc: ${address} ended the call with ${name} (${code}): ${status.details}${hint}`, {
    details: { address, status: name },
  });
}
