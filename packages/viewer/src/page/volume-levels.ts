// The manifests of a volume's levels of detail, read from the tree (fetched where they are large values), for
// the renderer: where each brick of each level sits.
import { BrickManifest, type VolumeInfo } from '@statemesh/brick-manifest';
import type { Session } from '@statemesh/session/browser';
import { levelPath } from '@statemesh/volume';

/** The levels of a volume present in the tree. */
export interface VolumeLevelsRead {
  readonly volume: VolumeInfo;
  /** Manifests by level (level 0: full resolution). */
  readonly manifests: ReadonlyMap<number, BrickManifest>;
}

/** Levels looked for above full resolution. */
const MAX_LEVELS = 16;

/** Reads the volume at `path`, or undefined while its level-0 manifest is not here or does not decode. */
export async function readVolumeLevels(session: Session, path: string): Promise<VolumeLevelsRead | undefined> {
  const manifests = new Map<number, BrickManifest>();
  for (let level = 0; level < MAX_LEVELS; level++) {
    const where = levelPath(path, level);
    let value = session.get(where);
    if (value === undefined) {
      if (level === 0) return undefined;
      break;
    }
    if (value.pending) value = await session.fetch(where);
    if (value.bytes === undefined) break;
    try {
      manifests.set(level, BrickManifest.decode(value.bytes));
    } catch {
      if (level === 0) return undefined;
      break;
    }
  }
  const volume = manifests.get(0)?.volume;
  return volume === undefined ? undefined : { volume, manifests };
}

/** The paths of volumes in the tree: level-0 brick manifests. */
export function findVolumes(session: Session): string[] {
  return session
    .entries('')
    .filter((entry) => entry.type === 'brick-manifest' && !/\.levels\.\d+$/.test(entry.path))
    .map((entry) => entry.path);
}
