import type { Timers, TimerHandle, TransportHost, VersionVector } from '@statemesh/contracts';
import { encodeEnvelope, MAX_ACK_HELD, type AckFrame } from '@statemesh/wire';

/** `TransportHost.heldBlobs`: the large values this node stored whole after a mark. */
type HeldBlobs = NonNullable<TransportHost['heldBlobs']>;

/**
 * This node's acknowledgements on its ack subject: its applied vector, published when it changed, at most once
 * per `delayMs()` after batches or pages arrive (one message for all of them) and on each heartbeat. It also lists
 * (`held`) the large values stored whole since the last one: every node hears it, so one mark serves them all.
 */
export class AckPublisher {
  readonly #timers: Timers;
  readonly #delayMs: () => number;
  readonly #vector: () => VersionVector | undefined;
  readonly #publish: (payload: Uint8Array) => void;
  readonly #held: HeldBlobs | undefined;
  #heldSent = 0;
  #timer: TimerHandle | undefined;
  #sent = '';
  #stopped = false;

  constructor(options: { timers: Timers; delayMs: () => number; vector: () => VersionVector | undefined; publish: (payload: Uint8Array) => void; held?: HeldBlobs }) {
    this.#timers = options.timers;
    this.#delayMs = options.delayMs;
    this.#vector = options.vector;
    this.#publish = options.publish;
    this.#held = options.held;
  }

  /** Something was applied: acknowledge it after the delay. */
  soon(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.now();
    }, this.#delayMs());
  }

  /** Publishes the vector if it changed since the last acknowledgement, or large values were stored whole since. */
  now(): void {
    const vector = this.#vector();
    if (vector === undefined || this.#stopped) return;
    const key = JSON.stringify(vector);
    const held = this.#held?.(this.#heldSent, MAX_ACK_HELD);
    const news = held !== undefined && held.digests.length > 0;
    if (key === this.#sent && !news) return;
    this.#sent = key;
    const frame: AckFrame = { kind: 'ack', vector };
    if (news) frame.held = [...held.digests];
    if (held !== undefined) this.#heldSent = held.mark;
    this.#publish(encodeEnvelope(frame));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
