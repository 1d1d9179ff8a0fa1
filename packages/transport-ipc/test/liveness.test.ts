import { describe, expect, it } from 'vitest';
import { Liveness } from '@statemesh/wire';
import { negotiateVersion } from '@statemesh/transport-ipc';
import { isStatemeshError } from '@statemesh/contracts';

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

describe('negotiateVersion', () => {
  it('takes the highest version both speak; a newer peer connects at ours', () => {
    expect(negotiateVersion({ min: 1, max: 1 }, { min: 1, max: 1 }, 'p')).toBe(1);
    expect(negotiateVersion({ min: 1, max: 3 }, { min: 2, max: 5 }, 'p')).toBe(3);
    expect(negotiateVersion({ min: 1, max: 1 }, { min: 1, max: 9 }, 'p')).toBe(1);
  });

  it('fails with VERSION_MISMATCH naming both ranges when none is common', () => {
    let caught: unknown;
    try {
      negotiateVersion({ min: 1, max: 2 }, { min: 3, max: 4 }, 'peer-x');
    } catch (error) {
      caught = error;
    }
    expect(isStatemeshError(caught, 'VERSION_MISMATCH')).toBe(true);
    expect((caught as Error).message).toContain('peer-x speaks protocol versions 3-4 and this node 1-2');
  });
});
