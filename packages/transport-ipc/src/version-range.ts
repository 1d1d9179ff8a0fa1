import { StatemeshError } from '@statemesh/contracts';

/** The protocol versions a node speaks, inclusive. */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/**
 * The version a connection uses: the highest both sides speak. A peer announcing a newer maximum than ours still
 * connects, at ours. No common version throws `VERSION_MISMATCH` naming both ranges.
 */
export function negotiateVersion(ours: VersionRange, theirs: VersionRange, peer: string): number {
  const version = Math.min(ours.max, theirs.max);
  if (version >= Math.max(ours.min, theirs.min) && Number.isInteger(version)) return version;
  throw new StatemeshError(
    'VERSION_MISMATCH',
    `@statemesh/transport-ipc: peer ${peer} speaks protocol versions ${theirs.min}-${theirs.max} and this node ${ours.min}-${ours.max}: no version in common; upgrade the older node`,
    { details: { peer, ours, theirs } },
  );
}
