import { StatemeshError } from '@statemesh/contracts';

/** A range of protocol versions a node speaks, as its Hello announces it. */
export interface VersionRange {
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * The protocol version a connection runs at: the highest version both ranges contain. A peer that also speaks
 * newer versions connects at ours. No version in common fails with `VERSION_MISMATCH`, naming both ranges.
 */
export function negotiateVersion(local: VersionRange, remote: VersionRange): number {
  const version = Math.min(local.maxVersion, remote.maxVersion);
  if (version >= local.minVersion && version >= remote.minVersion) return version;
  throw new StatemeshError(
    'VERSION_MISMATCH',
    `@statemesh/wire: no protocol version in common: we speak ${local.minVersion}-${local.maxVersion}, the peer speaks ${remote.minVersion}-${remote.maxVersion}; upgrade the older node`,
    { details: { local: { ...local }, remote: { ...remote } } },
  );
}
