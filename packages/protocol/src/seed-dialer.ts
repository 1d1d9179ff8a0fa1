import type { Dialer, Link, StatemeshError, TimerHandle, Timers } from '@statemesh/contracts';
import type { Backoff } from './backoff.js';

/**
 * Keeps one seed connected: dials it, and after every failure or lost link redials after a backoff delay, until
 * stopped. While the node behind the seed is reachable through another link (both nodes dialled each other and
 * the other link won, or a bridge reaches it another way), the dialer is parked and wakes when that peer goes down.
 */
export class SeedDialer {
  readonly dialer: Dialer;
  /** The node behind this address, once a Hello told us. */
  node: string | undefined;
  readonly #backoff: Backoff;
  readonly #timers: Timers;
  readonly #connected: (link: Link, dialer: SeedDialer) => void;
  readonly #failed: (error: StatemeshError | Error, dialer: SeedDialer, repeated: boolean) => void;
  /** The message of the latest failed dial since the last success: `repeated` tells the same failure again. */
  #lastFailure: string | undefined;
  #timer: TimerHandle | undefined;
  #abort: AbortController | undefined;
  #busy = false;
  #parked = false;
  #stopped = false;

  constructor(
    dialer: Dialer,
    context: { backoff: Backoff; timers: Timers },
    connected: (link: Link, dialer: SeedDialer) => void,
    failed: (error: StatemeshError | Error, dialer: SeedDialer, repeated: boolean) => void,
  ) {
    this.dialer = dialer;
    this.#backoff = context.backoff;
    this.#timers = context.timers;
    this.#connected = connected;
    this.#failed = failed;
  }

  /** The address it dials. */
  get address(): string {
    return this.dialer.address;
  }

  /** True while waiting for the peer reachable through another link to go down. */
  get parked(): boolean {
    return this.#parked;
  }

  /** Dials now, unless already connected, dialling or waiting to redial. */
  dial(): void {
    if (this.#stopped || this.#busy || this.#timer !== undefined) return;
    this.#busy = true;
    this.#parked = false;
    const abort = new AbortController();
    this.#abort = abort;
    let attempt: Promise<Link>;
    try {
      attempt = this.dialer.dial(abort.signal);
    } catch (error) {
      attempt = Promise.reject(error as Error);
    }
    attempt.then(
      (link) => {
        this.#abort = undefined;
        if (this.#stopped) {
          link.destroy('the node is closing');
          return;
        }
        this.#connected(link, this);
      },
      (error: unknown) => {
        this.#abort = undefined;
        this.#busy = false;
        if (this.#stopped) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        const repeated = failure.message === this.#lastFailure;
        this.#lastFailure = failure.message;
        this.#failed(failure, this, repeated);
        this.#schedule();
      },
    );
  }

  /** The Hello exchange succeeded: the next failure starts again from the initial delay. */
  succeeded(): void {
    this.#backoff.reset();
    this.#lastFailure = undefined;
  }

  /** Our link closed. `park`: the peer is still up through another link; wait for {@link wake}. */
  closed(park: boolean): void {
    this.#busy = false;
    if (park) this.#parked = true;
    else this.#schedule();
  }

  /** The peer reached through another link went down: redial (after a backoff delay). */
  wake(): void {
    if (!this.#parked) return;
    this.#parked = false;
    this.#schedule();
  }

  /** Stops dialling for good; a dial in progress is aborted. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#abort?.abort();
    this.#abort = undefined;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.dial();
    }, this.#backoff.next());
  }
}
