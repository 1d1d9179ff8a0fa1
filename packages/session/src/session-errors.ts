import { StatemeshError, type Version } from '@statemesh/contracts';

/** What every message of the session starts with. */
export const SESSION_PREFIX = '@statemesh/session: ';

/** The error of a call on a closed session. */
export function closedError(what: string): StatemeshError {
  return new StatemeshError('CLOSED', `${SESSION_PREFIX}the session is closed; ${what}() cannot run. join() again for a new one`);
}

/** Why `durable`/`replicated` cannot wait for `version` within `timeoutMs`, or undefined. */
export function waitProblem(what: string, version: Version, timeoutMs: number): StatemeshError | undefined {
  const v = version as Partial<Version> | undefined;
  if (typeof v !== 'object' || v === null || typeof v.origin !== 'string' || !Number.isSafeInteger(v.seq)) {
    return new StatemeshError('INVALID_ARGUMENT', `${SESSION_PREFIX}${what}() needs the version a write returned ({hlc, origin, seq}), not ${JSON.stringify(version, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`);
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0) {
    return new StatemeshError('INVALID_ARGUMENT', `${SESSION_PREFIX}${what}() needs timeoutMs: a whole number of milliseconds ≥ 0, not ${String(timeoutMs)}`);
  }
  return undefined;
}

/** `1 peer`, `2 peers`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** An error's message, for a log line. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
