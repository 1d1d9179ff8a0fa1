import { StatemeshError, isUnder, isValidPath, mostSpecificPrefix } from '@statemesh/contracts';

/**
 * Who may write a subtree here: `read-write` (anyone, the default), `read-only` (this node's own writes refused
 * with `READ_ONLY`; remote writes applied), `authoritative` (only this node writes it: remote writes refused).
 */
export type MountMode = 'read-write' | 'read-only' | 'authoritative';

/** One subtree's authority. */
export interface Mount {
  /** The subtree (segment-aware; `''` is the whole tree). */
  readonly prefix: string;
  readonly mode: MountMode;
}

const MODES: readonly MountMode[] = ['read-write', 'read-only', 'authoritative'];

/** The mounts of a replica: a path takes the mode of the most specific mount above it (`read-write` without one). */
export class Mounts {
  readonly #mounts: readonly Mount[];
  readonly #prefixes: readonly string[];
  readonly #modes: ReadonlyMap<string, MountMode>;

  private constructor(mounts: readonly Mount[]) {
    this.#mounts = mounts;
    this.#prefixes = mounts.map((mount) => mount.prefix);
    this.#modes = new Map(mounts.map((mount) => [mount.prefix, mount.mode]));
  }

  /** Checks `mounts` (from options); undefined when there is nothing but `read-write`. */
  static of(mounts: readonly Mount[] | undefined): Mounts | undefined {
    if (mounts === undefined) return undefined;
    if (!Array.isArray(mounts)) throw config('mounts must be an array of { prefix, mode }');
    const seen = new Set<string>();
    for (const mount of mounts) {
      if (typeof mount !== 'object' || mount === null || !isValidPath(mount.prefix)) {
        throw config(`mount prefix ${JSON.stringify((mount as Mount | null)?.prefix)} is not a valid path prefix; use dot-separated segments of [A-Za-z0-9_-]`);
      }
      if (!MODES.includes(mount.mode)) throw config(`mount ${JSON.stringify(mount.prefix)} has mode ${JSON.stringify(mount.mode)}; use one of ${MODES.join(', ')}`);
      if (seen.has(mount.prefix)) throw config(`mount prefix ${JSON.stringify(mount.prefix)} is given twice; give each subtree one mode`);
      seen.add(mount.prefix);
    }
    return mounts.some((mount) => mount.mode !== 'read-write') ? new Mounts(mounts) : undefined;
  }

  /** The mode at `path`. */
  modeAt(path: string): MountMode {
    const prefix = mostSpecificPrefix(path, this.#prefixes);
    return prefix === undefined ? 'read-write' : this.#modes.get(prefix)!;
  }

  /**
   * The mount with `mode` that a write at `path` touches: the one `path` is under, or for a delete (which removes
   * a subtree) also one under `path`. Undefined when none.
   */
  touched(path: string, mode: MountMode, isDelete: boolean): string | undefined {
    if (this.modeAt(path) === mode) return mostSpecificPrefix(path, this.#prefixes) ?? '';
    if (!isDelete) return undefined;
    for (const mount of this.#mounts) if (mount.mode === mode && isUnder(mount.prefix, path) && this.modeAt(mount.prefix) === mode) return mount.prefix;
    return undefined;
  }
}

function config(message: string): StatemeshError {
  return new StatemeshError('INVALID_CONFIG', `@statemesh/shard: ${message}`);
}
