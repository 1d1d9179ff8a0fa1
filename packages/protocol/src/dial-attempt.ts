import { StatemeshError, type TimerHandle, type Timers } from '@statemesh/contracts';
import { realTimers } from './real-timers.js';

/**
 * Why a medium could not connect: a `StatemeshError` it chose, or the medium's own error (`code` as Node's,
 * shown in the message; `details` go on the `IO_ERROR`).
 */
export type DialFailure =
  | StatemeshError
  | { readonly code?: string | undefined; readonly message?: string | undefined; readonly details?: Readonly<Record<string, unknown>> | undefined };

/** What a dialer's medium reports to {@link dialAttempt}; only the first report counts. */
export interface DialProgress<T> {
  /** The link is there. */
  readonly connected: (link: T) => void;
  /** It could not connect: a `StatemeshError` rejects as it is, anything else as `IO_ERROR`. */
  readonly failed: (error: DialFailure) => void;
}

/** Options of {@link dialAttempt}. */
export interface DialAttemptOptions {
  /** The package dialling, for the messages (`@statemesh/transport-ipc`). */
  readonly source: string;
  /** The address dialled, for the messages. */
  readonly address: string;
  /** Cancels the attempt (`CANCELLED`). */
  readonly signal?: AbortSignal | undefined;
  /** Gives up after this long (`TIMEOUT`); absent: the medium's own limits. */
  readonly timeoutMs?: number | undefined;
  /** Timers of `timeoutMs` (default: real ones). */
  readonly timers?: Timers | undefined;
}

/**
 * One dial of every link, written once: refused at once with `CANCELLED` when `signal` is aborted already; else
 * `start` opens the medium's connection, reports through `progress`, and returns how to drop what it opened,
 * which runs on abort (`CANCELLED`), on the time limit (`TIMEOUT`) and on failure — never after `connected`.
 * A medium's own error rejects as `IO_ERROR` "cannot connect to <address> (<code>); is the node there running?".
 */
export function dialAttempt<T>(options: DialAttemptOptions, start: (progress: DialProgress<T>) => () => void): Promise<T> {
  const { source, address, signal } = options;
  const cancelled = (): StatemeshError => new StatemeshError('CANCELLED', `${source}: dialling ${address} was cancelled`);
  if (signal?.aborted === true) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    let drop: (() => void) | undefined;
    let dropLater = false; // refused before `start` returned its drop
    let timer: TimerHandle | undefined;
    const timers = options.timers ?? realTimers;
    const settle = (outcome: { link: T } | { error: StatemeshError }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (timer !== undefined) timers.clearTimeout(timer);
      if ('link' in outcome) return resolve(outcome.link);
      if (drop === undefined) dropLater = true;
      else drop();
      reject(outcome.error);
    };
    const onAbort = (): void => settle({ error: cancelled() });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      const ms = options.timeoutMs;
      timer = timers.setTimeout(() => settle({ error: new StatemeshError('TIMEOUT', `${source}: ${address} did not accept the connection within ${ms} ms`) }), ms);
    }
    const progress: DialProgress<T> = {
      connected: (link) => settle({ link }),
      failed: (error) => settle({ error: error instanceof StatemeshError ? error : ioError(source, address, error) }),
    };
    try {
      drop = start(progress);
    } catch (error) {
      progress.failed(typeof error === 'object' && error !== null ? (error as DialFailure) : { message: String(error) });
    }
    if (dropLater) drop?.();
  });
}

function ioError(source: string, address: string, error: DialFailure): StatemeshError {
  const why = ('code' in error && error.code !== undefined ? error.code : undefined) ?? error.message ?? 'no reason given';
  const details = 'details' in error ? error.details : undefined;
  return new StatemeshError('IO_ERROR', `${source}: cannot connect to ${address} (${why}); is the node there running?`, { cause: error, details: { address, ...details } });
}
