import { StatemeshError } from '@statemesh/contracts';
import { PACKAGE } from './options.js';

/** Distinct keys remembered by {@link ErrorLog.once} before it forgets them all (a bound on memory). */
const MAX_KEYS = 10_000;

/**
 * Where a transport's failures go (the `onError` option): each one, or once per key (a peer that keeps sending
 * bad bytes is said once, not per message). A throwing callback never reaches the NATS client.
 */
export class ErrorLog {
  readonly #onError: (error: StatemeshError) => void;
  readonly #said = new Set<string>();

  constructor(onError: (error: StatemeshError) => void) {
    this.#onError = onError;
  }

  report(error: StatemeshError): void {
    try {
      this.#onError(error);
    } catch {
      // A throwing error callback must not take the transport down with it.
    }
  }

  /** Reports `error` unless an error of `key` was reported already. */
  once(key: string, error: StatemeshError): void {
    if (this.#said.has(key)) return;
    if (this.#said.size >= MAX_KEYS) this.#said.clear();
    this.#said.add(key);
    this.report(error);
  }

  /** Runs `action` (a subscription's handler); whatever it throws is reported, never raised into the NATS client. */
  guard(what: string, action: () => void): void {
    try {
      action();
    } catch (error) {
      this.report(new StatemeshError('INTERNAL', `${PACKAGE}: ${what} failed: ${String(error)}`, { cause: error }));
    }
  }
}
