import { isStatemeshError, type StatemeshError } from '@statemesh/contracts';
import { brickBytes, readLevel, versionKey, type LevelManifest } from './level-manifest.js';
import { volumeError } from './volume-error.js';
import { levelPath } from './volume-layout.js';
import type { VolumeSession } from './volume-session.js';

const MAX_LEVELS = 32;

/** What {@link VolumeLevels} tells its owner. */
export interface VolumeLevelsEvents {
  /** The levels were (re)loaded. */
  loaded(): void;
  /** A load finished and no other is due. */
  settled(): void;
  /** A level's manifest could not be used; the others are kept. */
  error(error: StatemeshError): void;
}

/**
 * The levels of detail of the volume at `path` as one node sees them: each level's manifest, read (and fetched where
 * it is pending) again on `reload()`, one load at a time; an unchanged level is kept as it is.
 */
export class VolumeLevels {
  readonly #session: VolumeSession;
  readonly #path: string;
  readonly #events: VolumeLevelsEvents;
  #levels: (LevelManifest | undefined)[] = [];
  #totals = { bricks: 0, bytes: 0 };
  #loading: Promise<void> | undefined;
  #again = false;
  readonly #abort = new AbortController();

  constructor(session: VolumeSession, path: string, events: VolumeLevelsEvents) {
    this.#session = session;
    this.#path = path;
    this.#events = events;
  }

  /** Each level's manifest, full resolution first; undefined for a level that could not be read. */
  get levels(): readonly (LevelManifest | undefined)[] {
    return this.#levels;
  }

  /** Bricks with data and their bytes, every level. */
  get totals(): { readonly bricks: number; readonly bytes: number } {
    return this.#totals;
  }

  /** True while a load is under way. */
  get loading(): boolean {
    return this.#loading !== undefined;
  }

  /** Loads the levels again (after the one under way, if any). */
  reload(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#loading !== undefined) {
      this.#again = true;
      return;
    }
    this.#loading = this.#load().finally(() => {
      this.#loading = undefined;
      if (this.#again && !this.#abort.signal.aborted) {
        this.#again = false;
        this.reload();
      } else if (!this.#abort.signal.aborted) {
        this.#events.settled();
      }
    });
  }

  /** Stops loading for good. */
  close(): void {
    this.#abort.abort();
  }

  async #load(): Promise<void> {
    const levels: (LevelManifest | undefined)[] = [];
    for (let level = 0; level < MAX_LEVELS; level++) {
      const where = levelPath(this.#path, level);
      const value = this.#session.get(where);
      if (value === undefined) break;
      const known = this.#levels[level];
      if (known !== undefined && !value.pending && known.version === versionKey(value)) {
        levels.push(known);
        continue;
      }
      const dims = levels[0]?.manifest.volume?.dims;
      if (level > 0 && dims === undefined) break;
      try {
        levels.push(await readLevel(this.#session, this.#path, level, dims, this.#abort.signal));
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        this.#events.error(isStatemeshError(error) ? error : volumeError('INTERNAL', `loading ${JSON.stringify(where)} failed: ${String(error)}`, undefined, error));
        if (level === 0) break; // without full resolution there is no volume to view
        levels.push(undefined);
      }
    }
    if (this.#abort.signal.aborted) return;
    this.#levels = levels;
    let bricks = 0;
    let bytes = 0;
    for (const entry of levels) {
      if (entry === undefined) continue;
      for (let i = 0; i < entry.manifest.length; i++) {
        const brick = entry.manifest.brick(i);
        if (brick.digest === undefined) continue;
        bricks++;
        bytes += brickBytes(brick, entry.manifest.volume!);
      }
    }
    this.#totals = { bricks, bytes };
    this.#events.loaded();
  }
}
