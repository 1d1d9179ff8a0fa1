import { StatemeshError, isStatemeshError } from '@statemesh/contracts';

// The errors a store throws, each saying what to do.
const PREFIX = '@statemesh/store-fs: ';

/** `error` as a StatemeshError: `STORE_FULL` for a full disk, `IO_ERROR` otherwise (a StatemeshError passes through). */
export function ioError(error: unknown, what: string): unknown {
  if (isStatemeshError(error)) return error;
  if ((error as { code?: unknown } | undefined)?.code === 'ENOSPC') {
    return new StatemeshError('STORE_FULL', `${PREFIX}the disk is full: could not ${what}; free space and try again`, { cause: error });
  }
  return new StatemeshError('IO_ERROR', `${PREFIX}could not ${what}: ${describe(error)}; check that the data directory is writable`, { cause: error });
}

/** The message of an unknown thrown value. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An `INVALID_CONFIG` error. */
export function config(message: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `${PREFIX}${message}`);
}

/** The `CLOSED` error. */
export function closed(): StatemeshError {
  return new StatemeshError('CLOSED', `${PREFIX}the store is closed; open a new one`);
}

/** The `NOT_STARTED` error. */
export function notStarted(): StatemeshError {
  return new StatemeshError('NOT_STARTED', `${PREFIX}the store is not open yet; await store.open(identity) first`);
}
