/** Intervals of silence after which a peer is `suspect`, per DESIGN.md. */
export const SUSPECT_AFTER_INTERVALS = 3;
/** Intervals of silence after which a peer is `dead`: its connection (socket or stream) is dropped and redialled. */
export const DEAD_AFTER_INTERVALS = 5;

/** What a {@link Liveness.check} found: a change of state, or nothing. */
export type LivenessChange = 'suspect' | 'dead' | 'recovered' | undefined;

/**
 * The heartbeat state machine of one peer, shared by the network transports (DESIGN.md section 3): `up` → (silent 3
 * intervals) `suspect` → (silent 5, and at the earliest the check after `suspect`) `dead`; anything received while
 * `suspect` brings it back to `up`. Receiving only stamps a time (the hot path); transitions are
 * decided by {@link Liveness.check}, run from the heartbeat timer.
 */
export class Liveness {
  readonly #intervalMs: number;
  #lastSeen: number;
  #state: 'up' | 'suspect' | 'dead' = 'up';

  constructor(intervalMs: number, now: number) {
    this.#intervalMs = intervalMs;
    this.#lastSeen = now;
  }

  /** `up`, `suspect` or `dead`. */
  get state(): 'up' | 'suspect' | 'dead' {
    return this.#state;
  }

  /** When anything was last received. */
  get lastSeen(): number {
    return this.#lastSeen;
  }

  /** Something arrived from the peer. */
  seen(now: number): void {
    this.#lastSeen = now;
  }

  /** Moves the state on from the silence so far; returns the change, if any. `dead` is final. */
  check(now: number): LivenessChange {
    if (this.#state === 'dead') return undefined;
    const silence = now - this.#lastSeen;
    // A peer always passes through `suspect` (even when one late check finds it silent past both thresholds),
    // so that listeners see the documented up -> suspect -> down sequence.
    if (silence >= DEAD_AFTER_INTERVALS * this.#intervalMs && this.#state === 'suspect') {
      this.#state = 'dead';
      return 'dead';
    }
    if (silence >= SUSPECT_AFTER_INTERVALS * this.#intervalMs) {
      if (this.#state === 'suspect') return undefined;
      this.#state = 'suspect';
      return 'suspect';
    }
    if (this.#state === 'suspect') {
      this.#state = 'up';
      return 'recovered';
    }
    return undefined;
  }
}
