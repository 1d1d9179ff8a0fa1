import { isStatemeshError, type Dialer, type StatemeshError } from '@statemesh/contracts';

/**
 * Notes which seeds refused this node's token, so that `join()` can say why no peer came up. (The engine logs
 * each refusal once through `onError` and redials with backoff.)
 */
export class RefusedTokenWatch {
  readonly #refused = new Map<string, StatemeshError>();

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
          if (isStatemeshError(error) && error.code === 'UNAUTHENTICATED') this.#refused.set(dialer.address, error);
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
