import { isStatemeshError } from '@statemesh/contracts';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, negotiateVersion } from '@statemesh/wire';
import { describe, expect, it } from 'vitest';

const ours = { minVersion: MIN_PROTOCOL_VERSION, maxVersion: PROTOCOL_VERSION };

describe('negotiateVersion', () => {
  it('picks the highest version both sides speak', () => {
    expect(negotiateVersion({ minVersion: 1, maxVersion: 3 }, { minVersion: 2, maxVersion: 5 })).toBe(3);
    expect(negotiateVersion({ minVersion: 2, maxVersion: 5 }, { minVersion: 1, maxVersion: 3 })).toBe(3);
    expect(negotiateVersion(ours, ours)).toBe(PROTOCOL_VERSION);
  });

  it('lets a newer peer connect at our version', () => {
    expect(negotiateVersion(ours, { minVersion: 1, maxVersion: PROTOCOL_VERSION + 4 })).toBe(PROTOCOL_VERSION);
  });

  it('fails with VERSION_MISMATCH naming both ranges when there is none in common', () => {
    let error: unknown;
    try {
      negotiateVersion({ minVersion: 1, maxVersion: 2 }, { minVersion: 3, maxVersion: 4 });
    } catch (caught) {
      error = caught;
    }
    expect(isStatemeshError(error, 'VERSION_MISMATCH')).toBe(true);
    expect((error as Error).message).toContain('we speak 1-2, the peer speaks 3-4');
  });
});
