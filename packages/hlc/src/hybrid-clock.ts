import { ClockDriftError } from './clock-drift-error.js';
import { type HybridTime, MAX_LOGICAL, MAX_WALL_MS, invalidParts, isValidParts, show } from './hybrid-time.js';

/** Options of {@link HybridClock}. */
export interface HybridClockOptions {
  /** The physical clock: integer milliseconds since the epoch, 0 to 2^48 - 1. Default `Date.now`. */
  readonly now?: () => number;
  /** How far (ms) a remote time may be ahead of the physical clock before `update` refuses it. Default 60 000. */
  readonly maxDriftMs?: number;
}

/** How many events may reuse one `Date.now()` reading of the default clock, within one synchronous run. */
export const REUSED_READINGS = 3;

/** The default {@link HybridClockOptions.maxDriftMs}: one minute. */
export const DEFAULT_MAX_DRIFT_MS = 60_000;

/**
 * A hybrid logical clock (Kulkarni et al., 2014). Its timestamps never go backwards, even when the physical clock
 * does; they stay close to the physical clock; and a receive event is ordered after the send it answers.
 */
export class HybridClock {
  // The state lives in two plain numbers: no BigInt and no allocation on the hot path but the returned object.
  #wallMs = 0;
  #logical = 0;
  readonly #physical: (() => number) | undefined; // undefined: Date.now(), looked up on each reading
  readonly #maxDriftMs: number;
  // Reuse of Date.now() readings (default clock only): see readPhysical().
  #lastReading = -1;
  #reusesLeft = 0;
  #expiryQueued = false;
  readonly #expire = (): void => {
    this.#reusesLeft = 0;
    this.#expiryQueued = false;
  };

  constructor(options: HybridClockOptions = {}) {
    const physical = options.now;
    if (physical !== undefined && typeof physical !== 'function') {
      throw new TypeError(`@statemesh/hlc: options.now must be a function returning milliseconds, got ${show(physical)}`);
    }
    const maxDriftMs = options.maxDriftMs === undefined ? DEFAULT_MAX_DRIFT_MS : options.maxDriftMs;
    if (typeof maxDriftMs !== 'number' || !(maxDriftMs >= 0)) {
      throw new RangeError(
        `@statemesh/hlc: options.maxDriftMs must be a number >= 0 (Infinity turns the bound off), got ${show(maxDriftMs)}`,
      );
    }
    this.#physical = physical;
    this.#maxDriftMs = maxDriftMs;
  }

  /** A timestamp for a local or send event: greater than every timestamp this clock has returned. */
  now(): HybridTime {
    let physicalMs: number;
    if (this.#reusesLeft > 0) {
      this.#reusesLeft--;
      physicalMs = this.#lastReading;
    } else {
      physicalMs = this.#readPhysical();
    }
    let wallMs = this.#wallMs;
    let logical: number;
    if (physicalMs > wallMs) {
      wallMs = physicalMs;
      logical = 0;
    } else if (this.#logical < MAX_LOGICAL) {
      logical = this.#logical + 1;
    } else {
      if (wallMs === MAX_WALL_MS) throw exhausted();
      wallMs += 1; // the logical counter is full: advance the wall part rather than wrap
      logical = 0;
    }
    this.#wallMs = wallMs;
    this.#logical = logical;
    return { wallMs, logical };
  }

  /**
   * A timestamp for a receive event: greater than both `remote` and every timestamp this clock has returned.
   * Throws `StatemeshError` `CLOCK_DRIFT` ({@link ClockDriftError}), leaving the clock unchanged, when `remote`
   * is more than `maxDriftMs` ahead of the physical clock.
   */
  update(remote: HybridTime): HybridTime {
    if (typeof remote !== 'object' || remote === null) {
      throw new TypeError(`@statemesh/hlc: update(remote) takes a HybridTime {wallMs, logical}, got ${show(remote)}`);
    }
    const remoteWallMs = remote.wallMs;
    const remoteLogical = remote.logical;
    if (!isValidParts(remoteWallMs, remoteLogical)) throw invalidParts(remoteWallMs, remoteLogical, 'update(remote): remote');
    let physicalMs: number;
    if (this.#reusesLeft > 0) {
      this.#reusesLeft--;
      physicalMs = this.#lastReading;
    } else {
      physicalMs = this.#readPhysical();
    }
    if (remoteWallMs - physicalMs > this.#maxDriftMs) {
      // A reused reading may be a little old: judge drift only against a fresh one.
      if (this.#physical === undefined) {
        this.#reusesLeft = 0;
        physicalMs = this.#readPhysical();
      }
    }
    if (remoteWallMs - physicalMs > this.#maxDriftMs) {
      throw new ClockDriftError({
        remoteWallMs,
        physicalMs,
        aheadMs: remoteWallMs - physicalMs,
        maxDriftMs: this.#maxDriftMs,
      });
    }
    const lastWallMs = this.#wallMs;
    const lastLogical = this.#logical;
    let wallMs: number;
    let logical: number;
    if (physicalMs > lastWallMs && physicalMs > remoteWallMs) {
      wallMs = physicalMs;
      logical = 0;
    } else if (lastWallMs > remoteWallMs) {
      wallMs = lastWallMs;
      logical = lastLogical + 1;
    } else if (remoteWallMs > lastWallMs) {
      wallMs = remoteWallMs;
      logical = remoteLogical + 1;
    } else {
      wallMs = lastWallMs;
      logical = (lastLogical > remoteLogical ? lastLogical : remoteLogical) + 1;
    }
    if (logical > MAX_LOGICAL) {
      if (wallMs === MAX_WALL_MS) throw exhausted();
      wallMs += 1; // the logical counter is full: advance the wall part rather than wrap
      logical = 0;
    }
    this.#wallMs = wallMs;
    this.#logical = logical;
    return { wallMs, logical };
  }

  /**
   * Reads the physical clock. `Date.now()` costs about as much as the rest of `now()`, so the default clock reuses
   * a reading when calls come fast: once two readings in a row fall in the same millisecond, the next
   * {@link REUSED_READINGS} events reuse it, and the reuse ends at the end of the current synchronous run of code
   * (a queued microtask), so a reading never outlives an `await`. A custom `now` is called on every event.
   * `Date.now` is looked up on every reading, so fake timers installed after the clock was made take effect.
   */
  #readPhysical(): number {
    const physical = this.#physical;
    const physicalMs = physical === undefined ? Date.now() : physical();
    if (!(Number.isInteger(physicalMs) && physicalMs >= 0 && physicalMs <= MAX_WALL_MS)) throw badPhysical(physicalMs);
    if (physicalMs === this.#lastReading && physical === undefined) {
      this.#reusesLeft = REUSED_READINGS;
      if (!this.#expiryQueued) {
        this.#expiryQueued = true;
        queueMicrotask(this.#expire);
      }
    }
    this.#lastReading = physicalMs;
    return physicalMs;
  }

  /** The latest timestamp this clock returned or merged, without advancing; `{wallMs: 0, logical: 0}` at first. */
  current(): HybridTime {
    return { wallMs: this.#wallMs, logical: this.#logical };
  }
}

function badPhysical(value: unknown): RangeError {
  return new RangeError(
    `@statemesh/hlc: the physical clock (options.now) returned ${show(value)}; it must return integer milliseconds ` +
      `from 0 to 2^48 - 1 (wrap it with Math.floor if it returns fractions)`,
  );
}

function exhausted(): RangeError {
  return new RangeError(
    `@statemesh/hlc: the clock reached the largest time a HybridTime holds (wall 2^48 - 1, logical 2^16 - 1); check the physical clock`,
  );
}
