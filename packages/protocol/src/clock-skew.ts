import { StatemeshError, type Timers } from '@statemesh/contracts';
import type { Conversation } from './conversation.js';
import { PACKAGE } from './options.js';

/** A peer's clock further off than this is reported, once per peer. */
export const CLOCK_SKEW_REPORT_MS = 1_000;

/**
 * Each peer's clock skew, from its heartbeats' `sentAtMs` against our wall clock (transit time included, so a
 * little positive bias): kept on the conversation for `peers()`, reported once per peer past one second.
 */
export class ClockSkew {
  readonly #timers: Timers;
  readonly #report: (error: StatemeshError) => void;
  readonly #reported = new Set<string>();

  constructor(timers: Timers, report: (error: StatemeshError) => void) {
    this.#timers = timers;
    this.#report = report;
  }

  /** A heartbeat sent at `sentAtMs` (the peer's wall clock) arrived on `conversation`. */
  observe(conversation: Conversation, sentAtMs: number): void {
    const wall = this.#timers.wallNow?.() ?? Date.now();
    const skew = Math.round(sentAtMs - wall);
    conversation.clockSkewMs = skew;
    const peer = conversation.peer!;
    if (Math.abs(skew) <= CLOCK_SKEW_REPORT_MS || this.#reported.has(peer)) return;
    this.#reported.add(peer);
    this.#report(
      new StatemeshError('CLOCK_DRIFT', `${PACKAGE}: the clock of peer ${peer} is ${skew} ms off ours (reported once); synchronise the clocks (NTP): writes past the drift bound are refused`, {
        details: { peer, skewMs: skew },
      }),
    );
  }
}
