import { isStatemeshError, type Dialer, type StatemeshError } from '@statemesh/contracts';

/**
 * Notes which seeds refused this node's token. The engine redials a refusing seed with backoff and says nothing,
 * so without this a page with a wrong token would only see no peers: each seed's refusal is logged once (until it
 * accepts again), and `join()` can say why no peer came up.
 */
export class RefusedTokenWatch {
  readonly #refused = new Map<string, StatemeshError>();
  readonly #log: (line: string) => void;

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** `dialer`, reporting its `UNAUTHENTICATED` rejections here. */
  watch(dialer: Dialer): Dialer {
    return {
      address: dialer.address,
      dial: async (signal) => {
        try {
          const link = await dialer.dial(signal);
          this.#refused.delete(dialer.address);
          return link;
        } catch (error) {
          if (isStatemeshError(error) && error.code === 'UNAUTHENTICATED' && !this.#refused.has(dialer.address)) {
            this.#refused.set(dialer.address, error);
            this.#log(error.message);
          }
          throw error;
        }
      },
    };
  }

  /** The seeds whose last answer was a refusal of the token, with it. */
  refusals(): ReadonlyMap<string, StatemeshError> {
    return this.#refused;
  }
}
