import { StatemeshError, isStatemeshError } from '@statemesh/contracts';
import { negotiateVersion as negotiate } from '@statemesh/wire';

/** The protocol versions a node speaks, inclusive. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The version a connection uses: the highest both sides speak (wire's rule). A peer announcing a newer maximum
 * than ours still connects, at ours. No common version throws `VERSION_MISMATCH` naming the peer and both ranges.
 */
export function negotiateVersion(ours: VersionRange, theirs: VersionRange, peer: string): number {
  try {
    return negotiate({ minVersion: ours.min, maxVersion: ours.max }, { minVersion: theirs.min, maxVersion: theirs.max });
  } catch (error) {
    if (!isStatemeshError(error, 'VERSION_MISMATCH')) throw error;
    throw new StatemeshError(
      'VERSION_MISMATCH',
      `@statemesh/transport-ipc: peer ${peer} speaks protocol versions ${theirs.min}-${theirs.max} and this node ${ours.min}-${ours.max}: no version in common; upgrade the older node`,
      { details: { peer, ours, theirs }, cause: error },
    );
  }
}
