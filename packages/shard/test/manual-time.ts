import { HybridClock } from '@statemesh/hlc';

/** A physical time that only moves when a test moves it, and HybridClocks reading it. */
export class ManualTime {
  ms: number;
  constructor(start = 1_700_000_000_000) {
    this.ms = start;
  }
  /** A HybridClock on this time. */
  clock(maxDriftMs?: number): HybridClock {
    return new HybridClock(maxDriftMs === undefined ? { now: () => this.ms } : { now: () => this.ms, maxDriftMs });
  }
}
