import type { Timers, TimerHandle, VersionVector } from '@statemesh/contracts';
import { encodeEnvelope } from '@statemesh/wire';

/**
 * This node's acknowledgements on its ack subject: its applied vector, published when it changed, at most once
 * per `delayMs()` after batches or pages arrive (one message for all of them) and on each heartbeat.
 */
export class AckPublisher {
  readonly #timers: Timers;
  readonly #delayMs: () => number;
  readonly #vector: () => VersionVector | undefined;
  readonly #publish: (payload: Uint8Array) => void;
  #timer: TimerHandle | undefined;
  #sent = '';
  #stopped = false;

  constructor(options: { timers: Timers; delayMs: () => number; vector: () => VersionVector | undefined; publish: (payload: Uint8Array) => void }) {
    this.#timers = options.timers;
    this.#delayMs = options.delayMs;
    this.#vector = options.vector;
    this.#publish = options.publish;
  }

  /** Something was applied: acknowledge it after the delay. */
  soon(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.now();
    }, this.#delayMs());
  }

  /** Publishes the vector if it changed since the last acknowledgement. */
  now(): void {
    const vector = this.#vector();
    if (vector === undefined || this.#stopped) return;
    const key = JSON.stringify(vector);
    if (key === this.#sent) return;
    this.#sent = key;
    this.#publish(encodeEnvelope({ kind: 'ack', vector }));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
