// This package has no runtime dependency, so it cannot import `StatemeshError` from `@statemesh/contracts`.
// Its error carries the same global brand, name and `code` instead: `isStatemeshError(error, 'CLOCK_DRIFT')` from
// `@statemesh/contracts` recognises it, and so does a plain `error.code === 'CLOCK_DRIFT'` check.
const BRAND_KEY = Symbol.for('@statemesh/error');

/** Facts about a refused remote time, in {@link ClockDriftError.details}. */
export interface ClockDriftDetails {
  /** The wall part of the refused remote time. */
  readonly remoteWallMs: number;
  /** The local physical clock when the remote time arrived. */
  readonly physicalMs: number;
  /** How far the remote time was ahead: `remoteWallMs - physicalMs`. */
  readonly aheadMs: number;
  /** The clock's bound. */
  readonly maxDriftMs: number;
}

/**
 * Thrown by `HybridClock.update` for a remote time more than `maxDriftMs` ahead of the local physical clock. It is a
 * `StatemeshError` with code `CLOCK_DRIFT` (recognised by `isStatemeshError` from `@statemesh/contracts`).
 */
export class ClockDriftError extends Error {
  /** Stable machine-readable code. */
  readonly code = 'CLOCK_DRIFT' as const;
  /** Machine-readable facts about the failure. */
  readonly details: ClockDriftDetails;
  readonly [BRAND_KEY] = true;

  constructor(details: ClockDriftDetails) {
    super(
      `@statemesh/hlc: a remote time is ${details.aheadMs} ms ahead of the local clock, more than maxDriftMs ` +
        `(${details.maxDriftMs} ms); the clock is unchanged. Synchronise the machines' clocks (NTP) or raise maxDriftMs`,
    );
    this.name = 'StatemeshError';
    this.details = details;
  }
}
