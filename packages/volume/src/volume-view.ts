import { frustumFromMatrix, type Plane, type Vec3 } from '@statemesh/brick-manifest';
import { isStatemeshError, nodeOfOrigin, type StatemeshError } from '@statemesh/contracts';
import { BrickRetries } from './brick-retries.js';
import { ByteLru } from './byte-lru.js';
import { check, volumeError } from './volume-error.js';
import { VolumeLevels } from './volume-levels.js';
import type { VolumeSession } from './volume-session.js';
import { fittingHead, planBricks, type PlannedBrick } from './view-plan.js';

/** Options of {@link VolumeView}. */
export interface VolumeViewOptions {
  /** Bytes of bricks being fetched at once (default 8 MiB; one brick is always allowed). */
  readonly maxBytesInFlight?: number | undefined;
  /** Bytes of bricks kept, least recently used dropped first (default 256 MiB). */
  readonly cacheBytes?: number | undefined;
  /**
   * Ask the node that wrote the volume for a brick only when no other peer has a copy (default true): viewers
   * then serve each other and the writer serves each brick about once. Costs a peer's "not here" per brick
   * where other peers are connected but hold nothing yet.
   */
  readonly spareWriter?: boolean | undefined;
  /** Where errors go when nobody listens for `error` (default `console.warn`). */
  readonly log?: ((line: string) => void) | undefined;
}

/** What a view holds and has done. Visible counts are of the current camera, every level included. */
export interface VolumeViewStats {
  /** Levels of detail whose manifest is loaded. */
  readonly levels: number;
  /** Bricks with data, every level. */
  readonly bricksTotal: number;
  readonly bytesTotal: number;
  /** Bricks inside the frustum, every level. */
  readonly bricksVisible: number;
  readonly bytesVisible: number;
  /** Visible bricks held in the cache. */
  readonly bricksLoaded: number;
  /** Bricks received from the session (since the view was made) and their bytes. */
  readonly bricksFetched: number;
  readonly bytesFetched: number;
  /** Fetches stopped because a camera move left their brick outside the frustum. */
  readonly bricksCancelled: number;
  /** Fetches that failed (no peer held the brick, wrong size, ...); each also emitted an `error`. */
  readonly bricksFailed: number;
  readonly bricksEvicted: number;
  readonly bytesInFlight: number;
  readonly bytesCached: number;
}

/** Events of a {@link VolumeView}. */
export interface VolumeViewEvents {
  /**
   * A visible brick is here: its level, its index in that level's manifest, its voxels (x fastest). Once per brick
   * and content while it stays cached: when fetched, or when it enters the view with its content already cached.
   */
  brick: (level: number, index: number, bytes: Uint8Array) => void;
  /** A manifest or a brick could not be used; the view goes on without it. */
  error: (error: StatemeshError) => void;
}


interface InFlight {
  readonly controller: AbortController;
  readonly bytes: number;
  readonly level: number;
}

/**
 * A camera's view of a volume written by `putVolume`: fetches only the bricks inside the frustum, coarsest level
 * first and nearest first, with a bound on the bytes in flight; a camera move re-plans and cancels the fetches it
 * made pointless. Coordinates are level-0 voxels (fold a model matrix into the view-projection if the volume sits
 * elsewhere).
 */
export class VolumeView {
  /** Where the volume's level-0 manifest lives. */
  readonly path: string;
  readonly #session: VolumeSession;
  readonly #maxBytesInFlight: number;
  readonly #cache: ByteLru;
  readonly #log: (line: string) => void;
  readonly #spareWriter: boolean;
  readonly #listeners = { brick: new Set<VolumeViewEvents['brick']>(), error: new Set<VolumeViewEvents['error']>() };
  readonly #volume: VolumeLevels;
  #camera: { planes: Plane[]; eye: Vec3 } | undefined;
  #plan: PlannedBrick[] = [];
  /** Plan entries by digest: bricks with equal content share one fetch. */
  #planByDigest = new Map<string, PlannedBrick[]>();
  #next = 0;
  /** How much of the plan is fetched: the longest head whose distinct bricks fit in the cache. */
  #fits = 0;
  readonly #cacheBytes: number;
  readonly #inFlight = new Map<string, InFlight>();
  #bytesInFlight = 0;
  readonly #failed = new Set<string>();
  /** What each brick (`level:index`) was last announced as: the digest of its content. */
  readonly #announced = new Map<string, string>();
  /** Bricks whose fetch failed for a passing reason, waiting to be tried again. */
  readonly #retries = new BrickRetries();
  readonly #stats = { bricksFetched: 0, bytesFetched: 0, bricksCancelled: 0, bricksFailed: 0 };
  #idleWaiters: (() => void)[] = [];
  #closed = false;
  readonly #unwatch: () => void;

  constructor(session: VolumeSession, path: string, options: VolumeViewOptions = {}) {
    check(typeof session?.fetchBlob === 'function' && typeof session.watch === 'function', 'VolumeView needs a session (a Session of @statemesh/session, or anything with get, fetch, watch and fetchBlob)');
    check(typeof path === 'string' && path !== '', `path must be a non-empty tree path, not ${JSON.stringify(path)}`);
    const maxBytesInFlight = options.maxBytesInFlight ?? 8 * 1024 * 1024;
    const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    check(Number.isSafeInteger(maxBytesInFlight) && maxBytesInFlight > 0, `maxBytesInFlight must be an integer > 0, not ${JSON.stringify(maxBytesInFlight)}`);
    check(Number.isSafeInteger(cacheBytes) && cacheBytes >= 0, `cacheBytes must be an integer ≥ 0, not ${JSON.stringify(cacheBytes)}`);
    this.path = path;
    this.#session = session;
    this.#maxBytesInFlight = maxBytesInFlight;
    this.#cache = new ByteLru(cacheBytes);
    this.#cacheBytes = cacheBytes;
    this.#log = options.log ?? ((line) => console.warn(line));
    this.#spareWriter = options.spareWriter ?? true;
    this.#volume = new VolumeLevels(session, path, {
      loaded: () => this.#replan(),
      settled: () => this.#pump(),
      error: (error) => this.#error(error),
    });
    const levelsPrefix = `${path}.levels.`;
    this.#unwatch = session.watch(path, (changes) => {
      if (changes.some((change) => change.path === path || change.path.startsWith(levelsPrefix))) this.#volume.reload();
    });
    this.#volume.reload();
  }

  /** Calls `listener` on each event of that name; returns a function that stops it. */
  on<E extends keyof VolumeViewEvents>(event: E, listener: VolumeViewEvents[E]): () => void {
    const set = this.#listeners[event] as Set<VolumeViewEvents[E]> | undefined;
    check(set !== undefined, `no event ${JSON.stringify(event)}: use 'brick' or 'error'`);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /**
   * Points the camera: `viewProjection` is 16 numbers, column-major (as WebGL and three.js keep them), `eye` the
   * camera position, both in level-0 voxel coordinates. Re-plans the fetches: what is no longer visible stops, what
   * became visible is queued, coarsest level first, nearest first. Throws `INVALID_ARGUMENT` for a matrix or eye
   * that is not finite numbers (the view keeps its camera).
   */
  setCamera(viewProjection: ArrayLike<number>, eye: ArrayLike<number>): void {
    if (this.#closed) throw volumeError('CLOSED', 'setCamera on a closed VolumeView; make a new one');
    check(viewProjection !== null && typeof viewProjection === 'object' && viewProjection.length === 16 && Array.from(viewProjection).every(Number.isFinite), 'viewProjection must be 16 finite numbers, column-major');
    check(eye !== null && typeof eye === 'object' && eye.length === 3 && Array.from(eye).every(Number.isFinite), 'eye must be 3 finite numbers');
    let planes: Plane[];
    try {
      planes = frustumFromMatrix(Array.from(viewProjection));
    } catch (error) {
      throw volumeError('INVALID_ARGUMENT', `viewProjection has no frustum: ${error instanceof Error ? error.message : String(error)}`, undefined, error);
    }
    // A matrix of zeros (or any that flattens a plane) would put every brick "inside": refuse it.
    check(planes.every((p) => p.every(Number.isFinite) && Math.hypot(p[0], p[1], p[2]) > 0), 'viewProjection is degenerate: a plane of its frustum has no normal (a matrix of zeros?)');
    this.#camera = { planes, eye: [eye[0]!, eye[1]!, eye[2]!] };
    this.#replan();
  }

  /** The voxels of a brick, when the cache holds them. */
  brick(level: number, index: number): Uint8Array | undefined {
    const digest = this.#volume.levels[level]?.manifest.brick(index).digest;
    return digest === undefined ? undefined : this.#cache.get(digest);
  }

  /** The bricks the current camera sees, in fetch order, and whether each is loaded. */
  visible(): { level: number; index: number; loaded: boolean }[] {
    return this.#plan.map(({ level, index, digest }) => ({ level, index, loaded: this.#cache.has(digest) }));
  }

  /** Resolves once manifests are loaded and no fetch is queued or in flight (every visible brick loaded or failed). */
  whenIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
  }

  stats(): VolumeViewStats {
    let bricksLoaded = 0;
    let bytesVisible = 0;
    for (const brick of this.#plan) {
      bytesVisible += brick.bytes;
      if (this.#cache.has(brick.digest)) bricksLoaded++;
    }
    return {
      levels: this.#volume.levels.filter((level) => level !== undefined).length,
      bricksTotal: this.#volume.totals.bricks,
      bytesTotal: this.#volume.totals.bytes,
      bricksVisible: this.#plan.length,
      bytesVisible,
      bricksLoaded,
      ...this.#stats,
      bricksEvicted: this.#cache.evicted,
      bytesInFlight: this.#bytesInFlight,
      bytesCached: this.#cache.bytes,
    };
  }

  /** Stops every fetch and the watch, drops the cache. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    this.#volume.close();
    for (const { controller } of this.#inFlight.values()) controller.abort();
    this.#retries.clear();
    this.#inFlight.clear();
    this.#bytesInFlight = 0;
    this.#cache.clear();
    this.#plan = [];
    this.#planByDigest.clear();
    this.#announced.clear();
    this.#listeners.brick.clear();
    this.#listeners.error.clear();
    this.#settleIdle();
  }

  // ------------------------------------------------------------------ fetching

  #replan(): void {
    if (this.#closed || this.#camera === undefined) return;
    const plan = planBricks(this.#volume.levels, this.#camera.planes, this.#camera.eye);
    const byDigest = new Map<string, PlannedBrick[]>();
    for (const brick of plan) {
      const same = byDigest.get(brick.digest);
      if (same === undefined) byDigest.set(brick.digest, [brick]);
      else same.push(brick);
    }
    // Fetches of bricks the camera no longer sees are pointless now.
    for (const [digest, fetch] of this.#inFlight) {
      if (byDigest.has(digest)) continue;
      fetch.controller.abort();
      this.#inFlight.delete(digest);
      this.#bytesInFlight -= fetch.bytes;
      this.#stats.bricksCancelled++;
    }
    // Keep what is visible the most recently used, farthest first so the nearest are dropped last.
    for (let i = plan.length - 1; i >= 0; i--) this.#cache.touch(plan[i]!.digest);
    this.#plan = plan;
    this.#planByDigest = byDigest;
    this.#failed.clear(); // a new camera tries failed bricks again
    this.#retries.clear();
    this.#next = 0;
    this.#fits = fittingHead(plan, this.#cacheBytes);
    this.#announceCached();
    this.#pump();
  }

  /**
   * Announces visible bricks whose content is cached but that were never announced as what they are now (a brick
   * equal to one already here, a new manifest): from a microtask, so listeners never run inside `setCamera`.
   */
  #announceCached(): void {
    const plan = this.#plan;
    queueMicrotask(() => {
      if (this.#plan !== plan) return; // re-planned meanwhile: that plan announces its own
      for (const brick of plan) {
        const bytes = this.#cache.peek(brick.digest);
        if (bytes !== undefined && this.#announced.get(`${brick.level}:${brick.index}`) !== brick.digest && bytes.byteLength === brick.bytes) {
          this.#emitBrick(brick.level, brick.index, brick.digest, bytes);
        }
      }
    });
  }

  #pump(): void {
    if (this.#closed) return;
    while (this.#next < this.#fits) {
      const brick = this.#plan[this.#next]!;
      if (this.#cache.has(brick.digest) || this.#inFlight.has(brick.digest) || this.#failed.has(brick.digest)) {
        this.#next++;
        continue;
      }
      if (this.#bytesInFlight > 0 && this.#bytesInFlight + brick.bytes > this.#maxBytesInFlight) break;
      // The first picture is the coarsest level alone: finer requests would queue ahead of its answers at the peer.
      if (brick.level < this.#plan[0]!.level && this.#coarsestInFlight()) break;
      this.#next++;
      this.#start(brick);
    }
    if (this.#isIdle()) this.#settleIdle();
  }

  #coarsestInFlight(): boolean {
    const coarsest = this.#plan[0]!.level;
    for (const fetch of this.#inFlight.values()) if (fetch.level === coarsest) return true;
    return false;
  }

  #start(brick: PlannedBrick): void {
    const controller = new AbortController();
    const fetch: InFlight = { controller, bytes: brick.bytes, level: brick.level };
    this.#inFlight.set(brick.digest, fetch);
    this.#bytesInFlight += brick.bytes;
    this.#session.fetchBlob(brick.digest, { signal: controller.signal, ...(this.#spareWriter ? { askLast: [nodeOfOrigin(brick.origin)] } : {}) }).then(
      (bytes) => {
        if (!this.#finish(brick.digest, fetch)) return;
        this.#stats.bricksFetched++;
        this.#stats.bytesFetched += bytes.byteLength;
        this.#install(brick.digest, bytes);
        this.#pump();
      },
      (error: unknown) => {
        if (!this.#finish(brick.digest, fetch)) return;
        this.#failed.add(brick.digest);
        if (this.#retryLater(brick.digest, error)) {
          this.#pump();
          return;
        }
        this.#stats.bricksFailed++;
        this.#error(
          volumeError(
            isStatemeshError(error) ? error.code : 'INTERNAL',
            `brick ${brick.index} of level ${brick.level} of ${JSON.stringify(this.path)} could not be fetched: ${error instanceof Error ? error.message : String(error)}`,
            { level: brick.level, index: brick.index, digest: brick.digest },
            error,
          ),
        );
        this.#pump();
      },
    );
  }

  /** Schedules another try of a brick that failed for a passing reason; false when it is not worth it (or too often). */
  #retryLater(digest: string, error: unknown): boolean {
    return this.#retries.schedule(digest, error, () => {
      this.#failed.delete(digest);
      this.#next = 0; // the plan is walked again; loaded and in-flight bricks are skipped
      this.#pump();
    });
  }

  /** Ends the fetch of `digest`; false when it had been cancelled (or the view closed) meanwhile. */
  #finish(digest: string, fetch: InFlight): boolean {
    if (this.#inFlight.get(digest) !== fetch) return false;
    this.#inFlight.delete(digest);
    this.#bytesInFlight -= fetch.bytes;
    return true;
  }

  /** Caches the bytes and announces each visible brick they belong to, unless their size is wrong for it. */
  #install(digest: string, bytes: Uint8Array): void {
    const bricks = this.#planByDigest.get(digest) ?? [];
    const fitting = bricks.filter((brick) => brick.bytes === bytes.byteLength);
    if (fitting.length < bricks.length) {
      const wrong = bricks.find((brick) => brick.bytes !== bytes.byteLength)!;
      this.#failed.add(digest);
      this.#stats.bricksFailed++;
      this.#error(
        volumeError('CORRUPT_INPUT', `brick ${wrong.index} of level ${wrong.level} of ${JSON.stringify(this.path)} holds ${bytes.byteLength} bytes; its extent needs ${wrong.bytes} (the manifest and the blob disagree; rewrite the volume)`, {
          level: wrong.level,
          index: wrong.index,
          digest,
          bytes: bytes.byteLength,
          expected: wrong.bytes,
        }),
      );
      if (fitting.length === 0) return;
    }
    this.#cache.set(digest, bytes);
    for (const brick of fitting) this.#emitBrick(brick.level, brick.index, digest, bytes);
  }

  #emitBrick(level: number, index: number, digest: string, bytes: Uint8Array): void {
    this.#announced.set(`${level}:${index}`, digest);
    for (const listener of Array.from(this.#listeners.brick)) {
      try {
        listener(level, index, bytes);
      } catch (error) {
        this.#log(`@statemesh/volume: a 'brick' listener threw: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  #error(error: StatemeshError): void {
    if (this.#listeners.error.size === 0) {
      this.#log(error.message);
      return;
    }
    for (const listener of Array.from(this.#listeners.error)) {
      try {
        listener(error);
      } catch (thrown) {
        this.#log(`@statemesh/volume: an 'error' listener threw: ${thrown instanceof Error ? thrown.message : String(thrown)}`);
      }
    }
  }

  #isIdle(): boolean {
    if (this.#closed) return true;
    if (this.#volume.loading || this.#inFlight.size > 0 || this.#next < this.#fits) return false;
    return !this.#retries.waiting;
  }

  #settleIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

