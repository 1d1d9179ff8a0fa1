import { describe, expect, it } from 'vitest';
import { Liveness } from '@statemesh/protocol';

describe('Liveness (heartbeat states)', () => {
  it('goes suspect after 3 silent intervals and dead after 5', () => {
    const liveness = new Liveness(100, 0);
    expect(liveness.check(299)).toBeUndefined();
    expect(liveness.check(300)).toBe('suspect');
    expect(liveness.check(350)).toBeUndefined(); // reported once
    expect(liveness.state).toBe('suspect');
    expect(liveness.check(500)).toBe('dead');
    expect(liveness.check(10_000)).toBeUndefined(); // dead is final
    expect(liveness.state).toBe('dead');
  });

  it('passes through suspect even when a late check finds the peer silent past 5 intervals', () => {
    const liveness = new Liveness(100, 0);
    expect(liveness.check(2_000)).toBe('suspect');
    expect(liveness.check(2_001)).toBe('dead');
  });

  it('recovers from suspect when the peer speaks again', () => {
    const liveness = new Liveness(100, 0);
    expect(liveness.check(320)).toBe('suspect');
    liveness.seen(330);
    expect(liveness.check(340)).toBe('recovered');
    expect(liveness.state).toBe('up');
    expect(liveness.check(500)).toBeUndefined();
    expect(liveness.check(630)).toBe('suspect');
  });
});
