import type { TimerHandle, Timers, VersionVector } from '@statemesh/contracts';
import type { Conversation } from './conversation.js';

/**
 * When this node acknowledges what it applied: after batches or pages arrive, at most once per turn of the timers
 * (coalesced), and on every heartbeat tick; each peer gets an `Ack` only when the vector differs from the one it
 * was last told (its Hello's, at first).
 */
export class AckSchedule {
  readonly #timers: Timers;
  readonly #vector: () => VersionVector | undefined;
  readonly #peers: () => Iterable<Conversation>;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(timers: Timers, vector: () => VersionVector | undefined, peers: () => Iterable<Conversation>) {
    this.#timers = timers;
    this.#vector = vector;
    this.#peers = peers;
  }

  /** Acknowledges on the next turn (once, however often called meanwhile). */
  soon(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.now();
    }, 0);
  }

  /** Sends an Ack to every active peer whose last one differs from the vector now. */
  now(): void {
    if (this.#stopped) return;
    let vector: VersionVector | undefined;
    for (const conversation of this.#peers()) {
      if (conversation.isClosed || conversation.state !== 'active') continue;
      vector ??= this.#vector();
      if (vector === undefined) return;
      if (conversation.ackSent !== undefined && sameVector(conversation.ackSent, vector)) continue;
      conversation.send({ kind: 'ack', vector });
      conversation.ackSent = vector;
    }
  }

  /** No more acknowledgements; the pending turn is cancelled. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

function sameVector(a: VersionVector, b: VersionVector): boolean {
  let n = 0;
  for (const origin in a) {
    if (a[origin] !== b[origin]) return false;
    n++;
  }
  return Object.keys(b).length === n;
}
