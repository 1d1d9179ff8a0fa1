import { describe, expect, it } from 'vitest';
import { Backoff } from '@statemesh/protocol';

describe('Backoff', () => {
  it('doubles from the initial delay up to the maximum, with jitter in the upper half', () => {
    const low = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('spreads delays of the same attempt (jitter), always within [d/2, d]', () => {
    let x = 0.123;
    const random = (): number => (x = (x * 9301 + 0.49297) % 1);
    const delays = new Set<number>();
    for (let i = 0; i < 20; i++) {
      const backoff = new Backoff({ initialMs: 400, maxMs: 10_000, random });
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
      delays.add(delay);
    }
    expect(delays.size).toBeGreaterThan(5);
  });

  it('starts over after reset and counts attempts', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 1000, random: () => 1 });
    backoff.next();
    backoff.next();
    expect(backoff.attempt).toBe(2);
    backoff.reset();
    expect(backoff.attempt).toBe(0);
    expect(backoff.next()).toBe(10);
  });

  it('does not overflow after very many failures', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 5000, random: () => 1 });
    for (let i = 0; i < 2000; i++) backoff.next();
    expect(backoff.next()).toBe(5000);
  });
});
