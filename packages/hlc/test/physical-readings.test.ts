// The default clock reuses a Date.now() reading for a few events when calls come fast, never past the end of the
// synchronous run of code; a custom physical clock is read on every event.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HybridClock, type HybridTime, REUSED_READINGS, compare } from '@statemesh/hlc';

const T0 = 1_764_010_105_123;

/** Replaces Date.now with a hand-moved clock; the HybridClock must be created after this. */
function fakeDateNow() {
  const physical = { ms: T0 };
  const spy = vi.spyOn(Date, 'now').mockImplementation(() => physical.ms);
  return { physical, spy };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('physical clock readings', () => {
  it('reads Date.now() at least once every REUSED_READINGS + 1 events in a burst', () => {
    const { spy } = fakeDateNow();
    const clock = new HybridClock();
    let last = clock.now();
    let eventsWithoutRead = 0;
    for (let i = 0; i < 100; i++) {
      const reads = spy.mock.calls.length;
      const t = i % 3 === 0 ? clock.update(last) : clock.now();
      expect(compare(t, last)).toBe(1);
      last = t;
      eventsWithoutRead = spy.mock.calls.length === reads ? eventsWithoutRead + 1 : 0;
      expect(eventsWithoutRead).toBeLessThanOrEqual(REUSED_READINGS);
    }
    expect(spy.mock.calls.length).toBeLessThan(100); // the reuse is real: fewer reads than events
  });

  it('never reuses a reading after an await', async () => {
    const { physical } = fakeDateNow();
    const clock = new HybridClock();
    clock.now();
    clock.now(); // second reading in the same millisecond: the next events may reuse it
    physical.ms += 100;
    const inBurst = clock.now();
    expect(inBurst.wallMs).toBeLessThanOrEqual(T0 + 100); // possibly the reused, older reading
    await Promise.resolve();
    expect(clock.now()).toEqual({ wallMs: T0 + 100, logical: inBurst.wallMs === T0 + 100 ? 1 : 0 });
  });

  it('judges drift against a fresh reading, not a reused one', () => {
    const { physical } = fakeDateNow();
    const clock = new HybridClock({ maxDriftMs: 1000 });
    clock.now();
    clock.now(); // arms the reuse of the reading T0
    physical.ms += 5_000;
    // 5 500 ms ahead of the reused reading, but only 500 ms ahead of the physical clock: accepted.
    expect(clock.update({ wallMs: T0 + 5_500, logical: 0 })).toEqual({ wallMs: T0 + 5_500, logical: 1 });
    expect(() => clock.update({ wallMs: T0 + 6_001, logical: 0 })).toThrow(expect.objectContaining({ code: 'CLOCK_DRIFT' }));
  });

  it('never runs ahead of the real clock in a burst of the default clock', () => {
    const clock = new HybridClock();
    const start = Date.now();
    const ahead: HybridTime[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t = clock.now();
      if (t.wallMs > Date.now()) ahead.push(t);
    }
    expect(ahead).toEqual([]);
    expect(clock.current().wallMs).toBeGreaterThanOrEqual(start);
    expect(clock.current().wallMs).toBeLessThanOrEqual(Date.now());
  });

  it('looks Date.now up on every reading, so fakes installed after the clock was made take effect', () => {
    const clock = new HybridClock();
    fakeDateNow();
    expect(clock.now()).toEqual({ wallMs: T0, logical: 0 });
  });

  it('calls a custom physical clock on every event', () => {
    let reads = 0;
    const clock = new HybridClock({ now: () => (reads++, T0) });
    for (let i = 0; i < 10; i++) clock.now();
    for (let i = 0; i < 10; i++) clock.update({ wallMs: T0, logical: 0 });
    expect(reads).toBe(20);
  });
});
