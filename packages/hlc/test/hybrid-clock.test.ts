import { describe, expect, it } from 'vitest';
import { ClockDriftError, DEFAULT_MAX_DRIFT_MS, HybridClock, type HybridTime, MAX_LOGICAL, MAX_WALL_MS, pack } from '@statemesh/hlc';

const BRAND = Symbol.for('@statemesh/error');
const T0 = 1_764_010_105_123;

/** A physical clock the test moves by hand. */
function manualClock(start = T0) {
  const physical = { ms: start };
  return { physical, clock: (options: { maxDriftMs?: number } = {}) => new HybridClock({ ...options, now: () => physical.ms }) };
}

/** Calls `fn`, which must throw, and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('HybridClock.now', () => {
  it('follows the physical clock and counts events within one millisecond', () => {
    const { physical, clock } = manualClock();
    const hlc = clock();
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 0 });
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 1 });
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 2 });
    physical.ms += 5;
    expect(hlc.now()).toEqual({ wallMs: T0 + 5, logical: 0 });
  });

  it('never goes backwards when the physical clock does', () => {
    const { physical, clock } = manualClock();
    const hlc = clock();
    hlc.now();
    physical.ms -= 10_000;
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 1 });
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 2 });
    physical.ms = T0 + 1;
    expect(hlc.now()).toEqual({ wallMs: T0 + 1, logical: 0 });
  });

  it('advances the wall part by 1 ms instead of wrapping the logical counter past 0xFFFF', () => {
    const { clock } = manualClock();
    const hlc = clock();
    let last: HybridTime = hlc.now();
    for (let i = 0; i < MAX_LOGICAL; i++) last = hlc.now();
    expect(last).toEqual({ wallMs: T0, logical: MAX_LOGICAL });
    expect(hlc.now()).toEqual({ wallMs: T0 + 1, logical: 0 });
    expect(hlc.now()).toEqual({ wallMs: T0 + 1, logical: 1 });
  });

  it('reads Date.now by default', () => {
    const before = Date.now();
    const t = new HybridClock().now();
    const after = Date.now();
    expect(t.wallMs).toBeGreaterThanOrEqual(before);
    expect(t.wallMs).toBeLessThanOrEqual(after);
  });

  it.each([
    ['a fraction', 1.5],
    ['NaN', Number.NaN],
    ['a negative number', -1],
    ['a wall beyond 48 bits', 2 ** 48],
    ['a string', '1764010105123'],
  ])('throws RangeError when the physical clock returns %s, and stays unchanged', (_, value) => {
    let physical: unknown = T0;
    const hlc = new HybridClock({ now: () => physical as number });
    const before = hlc.now();
    physical = value;
    expect(() => hlc.now()).toThrow(RangeError);
    expect(() => hlc.now()).toThrow(/physical clock \(options\.now\) returned/);
    expect(() => hlc.update(before)).toThrow(RangeError);
    expect(hlc.current()).toEqual(before);
  });

  it('throws RangeError rather than leave 64 bits when the largest time is reached', () => {
    const hlc = new HybridClock({ now: () => MAX_WALL_MS });
    hlc.update({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL - 1 });
    expect(hlc.current()).toEqual({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL });
    expect(() => hlc.now()).toThrow(/largest time a HybridTime holds/);
    expect(() => hlc.update({ wallMs: 0, logical: 0 })).toThrow(RangeError);
    expect(hlc.current()).toEqual({ wallMs: MAX_WALL_MS, logical: MAX_LOGICAL });
  });
});

describe('HybridClock.update', () => {
  it('takes the physical clock when it is ahead of both', () => {
    const { physical, clock } = manualClock();
    const hlc = clock();
    hlc.now();
    physical.ms += 100;
    expect(hlc.update({ wallMs: T0 + 50, logical: 9 })).toEqual({ wallMs: T0 + 100, logical: 0 });
  });

  it('moves past a remote time ahead of the local one', () => {
    const { clock } = manualClock();
    const hlc = clock();
    hlc.now();
    expect(hlc.update({ wallMs: T0 + 250, logical: 4 })).toEqual({ wallMs: T0 + 250, logical: 5 });
    expect(hlc.now()).toEqual({ wallMs: T0 + 250, logical: 6 });
  });

  it('counts on from the local time when the remote one is behind', () => {
    const { clock } = manualClock();
    const hlc = clock();
    hlc.now();
    hlc.now();
    expect(hlc.update({ wallMs: T0 - 1_000, logical: 40 })).toEqual({ wallMs: T0, logical: 2 });
  });

  it('takes the larger counter plus one when the wall parts are equal', () => {
    const { clock } = manualClock();
    const hlc = clock();
    hlc.now();
    expect(hlc.update({ wallMs: T0, logical: 17 })).toEqual({ wallMs: T0, logical: 18 });
    expect(hlc.update({ wallMs: T0, logical: 3 })).toEqual({ wallMs: T0, logical: 19 });
  });

  it('advances the wall part instead of wrapping when the remote counter is full', () => {
    const { clock } = manualClock();
    const hlc = clock();
    expect(hlc.update({ wallMs: T0 + 10, logical: MAX_LOGICAL })).toEqual({ wallMs: T0 + 11, logical: 0 });
    expect(hlc.update({ wallMs: T0 + 11, logical: MAX_LOGICAL })).toEqual({ wallMs: T0 + 12, logical: 0 });
  });

  it(`refuses a remote time more than maxDriftMs (default ${DEFAULT_MAX_DRIFT_MS}) ahead with CLOCK_DRIFT, clock unchanged`, () => {
    const { clock } = manualClock();
    const hlc = clock();
    const before = hlc.now();
    const error = thrown(() => hlc.update({ wallMs: T0 + 60_001, logical: 0 }));
    expect(error).toBeInstanceOf(ClockDriftError);
    expect(error).toMatchObject({
      name: 'StatemeshError',
      code: 'CLOCK_DRIFT',
      [BRAND]: true,
      details: { remoteWallMs: T0 + 60_001, physicalMs: T0, aheadMs: 60_001, maxDriftMs: 60_000 },
    });
    expect((error as Error).message).toMatch(/^@statemesh\/hlc: a remote time is 60001 ms ahead .* raise maxDriftMs$/);
    expect(hlc.current()).toEqual(before);
    expect(hlc.now()).toEqual({ wallMs: T0, logical: 1 });
    // Exactly at the bound is accepted.
    expect(hlc.update({ wallMs: T0 + 60_000, logical: 0 })).toEqual({ wallMs: T0 + 60_000, logical: 1 });
  });

  it('measures drift against the physical clock, with the bound from the options', () => {
    const { physical, clock } = manualClock();
    const strict = clock({ maxDriftMs: 0 });
    expect(() => strict.update({ wallMs: T0 + 1, logical: 0 })).toThrow(expect.objectContaining({ code: 'CLOCK_DRIFT' }));
    expect(strict.update({ wallMs: T0, logical: 0 })).toEqual({ wallMs: T0, logical: 1 });
    physical.ms += 1;
    expect(strict.update({ wallMs: T0 + 1, logical: 0 })).toEqual({ wallMs: T0 + 1, logical: 1 });
    const unbounded = clock({ maxDriftMs: Number.POSITIVE_INFINITY });
    expect(unbounded.update({ wallMs: MAX_WALL_MS - 1, logical: 0 })).toEqual({ wallMs: MAX_WALL_MS - 1, logical: 1 });
  });

  it.each([
    [{ wallMs: -1, logical: 0 }, /wallMs must be an integer from 0 to 2\^48 - 1/],
    [{ wallMs: 1.25, logical: 0 }, /wallMs .*got 1\.25/],
    [{ wallMs: Number.NaN, logical: 0 }, /wallMs .*got NaN/],
    [{ wallMs: 2 ** 48, logical: 0 }, /wallMs .*got 281474976710656/],
    [{ wallMs: T0, logical: -1 }, /logical must be an integer from 0 to 2\^16 - 1/],
    [{ wallMs: T0, logical: 0.5 }, /logical .*got 0\.5/],
    [{ wallMs: T0, logical: Number.NaN }, /logical .*got NaN/],
    [{ wallMs: T0, logical: 0x10000 }, /logical .*got 65536/],
  ])('throws RangeError for the invalid remote %o and stays unchanged', (remote, message) => {
    const { clock } = manualClock();
    const hlc = clock();
    const before = hlc.now();
    expect(() => hlc.update(remote)).toThrow(RangeError);
    expect(() => hlc.update(remote)).toThrow(message);
    expect(hlc.current()).toEqual(before);
  });

  it('throws TypeError for a remote that is not an object', () => {
    const hlc = new HybridClock();
    expect(() => hlc.update(null as unknown as HybridTime)).toThrow(TypeError);
    expect(() => hlc.update(5n as unknown as HybridTime)).toThrow(/takes a HybridTime/);
  });
});

describe('HybridClock.current and options', () => {
  it('reports the latest time without advancing', () => {
    const { clock } = manualClock();
    const hlc = clock();
    expect(hlc.current()).toEqual({ wallMs: 0, logical: 0 });
    const t = hlc.now();
    expect(hlc.current()).toEqual(t);
    expect(hlc.current()).toEqual(t);
    const u = hlc.update({ wallMs: T0 + 3, logical: 2 });
    expect(hlc.current()).toEqual(u);
  });

  it.each([-1, Number.NaN, '60000', null])('refuses maxDriftMs %s with RangeError', (maxDriftMs) => {
    expect(() => new HybridClock({ maxDriftMs: maxDriftMs as number })).toThrow(RangeError);
    expect(() => new HybridClock({ maxDriftMs: maxDriftMs as number })).toThrow(/options\.maxDriftMs must be a number >= 0/);
  });

  it('refuses a physical clock that is not a function with TypeError', () => {
    expect(() => new HybridClock({ now: null as unknown as () => number })).toThrow(TypeError);
    expect(() => new HybridClock({ now: 5 as unknown as () => number })).toThrow(TypeError);
  });
});

describe('concurrent callers', () => {
  it('gives 2 x 500 interleaved async callers of one clock 1000 distinct, increasing timestamps', async () => {
    const hlc = new HybridClock();
    const seen: bigint[] = [];
    const caller = async () => {
      for (let i = 0; i < 500; i++) {
        seen.push(pack(hlc.now()));
        if (i % 7 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        else await Promise.resolve();
      }
    };
    await Promise.all([caller(), caller()]);
    expect(seen).toHaveLength(1000);
    expect(new Set(seen).size).toBe(1000);
    for (let i = 1; i < seen.length; i++) expect(seen[i]! > seen[i - 1]!).toBe(true);
  });

  it('lets two independent clocks issue equal times for concurrent events (break ties by node id)', () => {
    const physical = () => T0;
    expect(new HybridClock({ now: physical }).now()).toEqual(new HybridClock({ now: physical }).now());
  });
});
