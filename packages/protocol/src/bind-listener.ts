import { StatemeshError } from '@statemesh/contracts';

/** A medium's error when it cannot bind (a string `code`, as Node's `EADDRINUSE`, is what the message shows). */
export interface BindFailure {
  readonly code?: unknown;
  readonly message: string;
}

/**
 * The start of every listener, written once: `bind` asks the medium to listen and calls `done` once, with its
 * error or with the port it got (the real one when port 0 was asked). Resolves with that port; rejects with
 * `IO_ERROR` "cannot listen on <address> (<code>); choose another address" (prefixed by `source`, the package).
 */
export function bindListener(source: string, address: string, bind: (done: (error: BindFailure | null | undefined, port?: number) => void) => void): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    bind((error, port) => {
      if (settled) return;
      settled = true;
      if (error === null || error === undefined) resolve(port ?? 0);
      else {
        reject(new StatemeshError('IO_ERROR', `${source}: cannot listen on ${address} (${typeof error.code === 'string' ? error.code : error.message}); choose another address`, { cause: error, details: { address } }));
      }
    });
  });
}
