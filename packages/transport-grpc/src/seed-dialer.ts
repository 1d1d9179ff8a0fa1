import { formatHostPort, type HostPort } from './address.js';
import type { Backoff } from '@statemesh/protocol';

/**
 * Keeps one seed connected: opens a stream to it, and after every failure or lost stream opens another after a
 * backoff delay, until stopped. While the node behind the seed is reachable through another stream (both nodes
 * dialled each other and the other stream won), the dialer is parked and wakes when that peer goes down.
 */
export class SeedDialer {
  readonly address: HostPort;
  /** The address as `host:port`. */
  readonly text: string;
  /** The node behind this address, once a Hello told us. */
  node: string | undefined;
  readonly #backoff: Backoff;
  readonly #open: (dialer: SeedDialer) => void;
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #stopped = false;

  constructor(address: HostPort, backoff: Backoff, open: (dialer: SeedDialer) => void) {
    this.address = address;
    this.text = formatHostPort(address);
    this.#backoff = backoff;
    this.#open = open;
  }

  /** Opens a stream now, unless one is open or a redial is scheduled. */
  dial(): void {
    if (this.#stopped || this.#busy || this.#timer !== undefined) return;
    this.#busy = true;
    this.#open(this);
  }

  /** The Hello exchange succeeded: the next failure starts again from the initial delay. */
  succeeded(): void {
    this.#backoff.reset();
  }

  /** Our stream ended. `park`: the peer is still up through another stream; wait for {@link wake}. */
  closed(park: boolean): void {
    this.#busy = false;
    if (!park) this.#schedule();
  }

  /** The peer reached through another stream went down: redial (after a backoff delay). */
  wake(): void {
    if (this.#busy) return;
    this.#schedule();
  }

  /** Stops dialling for good. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.dial();
    }, this.#backoff.next());
  }
}
