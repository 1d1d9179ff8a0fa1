import { StatemeshError, type Timers } from '@statemesh/contracts';
import type { Conversation } from './conversation.js';
import { PACKAGE } from './options.js';

/** A peer's clock further off than this is reported, once per peer. */
export const CLOCK_SKEW_REPORT_MS = 1_000;

/** Heartbeats an estimate is taken over, and how many it needs before it is reported. */
const SAMPLES = 5;
const SAMPLES_TO_REPORT = 3;

/**
 * Each peer's clock skew, from its heartbeats' `sentAtMs` against our wall clock: kept on the conversation for
 * `peers()`, reported once per peer past one second. A heartbeat that waited (in transit, or behind a busy event
 * loop on either side) only ever looks older than it is, so the estimate is the largest of the last few samples,
 * and a lone late heartbeat is never reported as a skewed clock.
 */
export class ClockSkew {
  readonly #timers: Timers;
  readonly #report: (error: StatemeshError) => void;
  readonly #reported = new Set<string>();
  readonly #samples = new WeakMap<Conversation, number[]>();

  constructor(timers: Timers, report: (error: StatemeshError) => void) {
    this.#timers = timers;
    this.#report = report;
  }

  /** A heartbeat sent at `sentAtMs` (the peer's wall clock) arrived on `conversation`. */
  observe(conversation: Conversation, sentAtMs: number): void {
    const wall = this.#timers.wallNow?.() ?? Date.now();
    const samples = this.#samples.get(conversation) ?? [];
    samples.push(sentAtMs - wall);
    if (samples.length > SAMPLES) samples.shift();
    this.#samples.set(conversation, samples);
    const skew = Math.round(Math.max(...samples));
    conversation.clockSkewMs = skew;
    const peer = conversation.peer!;
    if (samples.length < SAMPLES_TO_REPORT || Math.abs(skew) <= CLOCK_SKEW_REPORT_MS || this.#reported.has(peer)) return;
    this.#reported.add(peer);
    this.#report(
      new StatemeshError('CLOCK_DRIFT', `${PACKAGE}: the clock of peer ${peer} is ${skew} ms off ours (reported once); synchronise the clocks (NTP): writes past the drift bound are refused`, {
        details: { peer, skewMs: skew },
      }),
    );
  }
}
