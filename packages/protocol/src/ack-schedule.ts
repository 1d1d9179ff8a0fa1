import type { TimerHandle, Timers, TransportHost, VersionVector } from '@statemesh/contracts';
import { MAX_ACK_HELD } from '@statemesh/wire';
import type { AckFrame } from '@statemesh/wire';
import type { Conversation } from './conversation.js';

/** `TransportHost.heldBlobs`: the large values stored whole after a mark. */
type HeldBlobs = NonNullable<TransportHost['heldBlobs']>;

/**
 * When this node acknowledges what it applied: `delayMs` after batches or pages arrive (all that arrive meanwhile
 * coalesced into one Ack, so a busy stream costs its peers one small frame per delay, not one per batch), and on
 * every heartbeat tick; each peer gets an `Ack` only when the vector differs from the one it was last told (its
 * Hello's, at first) or this node stored large values whole since (`held`, each listed once per link).
 */
export class AckSchedule {
  readonly #timers: Timers;
  readonly #vector: () => VersionVector | undefined;
  readonly #peers: () => Iterable<Conversation>;
  readonly #held: () => HeldBlobs | undefined;
  readonly #delayMs: number;
  #timer: TimerHandle | undefined;
  #stopped = false;

  constructor(timers: Timers, vector: () => VersionVector | undefined, peers: () => Iterable<Conversation>, delayMs: number, held: () => HeldBlobs | undefined = () => undefined) {
    this.#timers = timers;
    this.#held = held;
    this.#delayMs = delayMs;
    this.#vector = vector;
    this.#peers = peers;
  }

  /** Acknowledges after the delay (once, however often called meanwhile). */
  soon(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.now();
    }, this.#delayMs);
  }

  /** Sends an Ack to every active peer whose last one differs from the vector now. */
  now(): void {
    if (this.#stopped) return;
    let vector: VersionVector | undefined;
    for (const conversation of this.#peers()) {
      if (conversation.isClosed || conversation.state !== 'active') continue;
      vector ??= this.#vector();
      if (vector === undefined) return;
      const held = this.#held()?.(conversation.heldSent, MAX_ACK_HELD);
      const news = held !== undefined && held.digests.length > 0;
      if (!news && conversation.ackSent !== undefined && sameVector(conversation.ackSent, vector)) continue;
      const frame: AckFrame = { kind: 'ack', vector };
      if (news) frame.held = [...held.digests];
      conversation.send(frame);
      conversation.ackSent = vector;
      if (held !== undefined) conversation.heldSent = held.mark;
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
