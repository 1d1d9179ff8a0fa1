import { StatemeshError } from '@statemesh/session';

/** One brick as the dashboard draws it. */
export interface BrickBox {
  readonly index: number;
  readonly origin: readonly [number, number, number];
  readonly size: readonly [number, number, number];
}

/** Which bricks of a manifest the current view selects. */
export interface BrickSelection {
  readonly bricks: readonly BrickBox[];
  readonly selected: readonly number[];
  /** `view`: selected by the view-projection matrix at `<path>.view`; `none`: no view set, every brick shown. */
  readonly by: 'view' | 'none';
}

interface ManifestLike {
  readonly bricks: ReadonlyArray<{ readonly index: number; readonly origin: ArrayLike<number>; readonly size: ArrayLike<number> }>;
}

interface BrickApi {
  readonly BrickManifest: { decode(bytes: Uint8Array): ManifestLike };
  readonly bricksInFrustum: (manifest: ManifestLike, planes: unknown) => Iterable<number>;
  readonly frustumFromMatrix: (matrix: ArrayLike<number>) => unknown;
}

/**
 * Decodes a `brick-manifest` value and selects its bricks with `view` (a column-major view-projection matrix, 16
 * numbers) or keeps them all. The decoder is the one `@statemesh/session` re-exports from `@statemesh/brick-manifest`;
 * throws `UNKNOWN_CODEC` when the installed session does not offer it.
 */
export async function selectBricks(bytes: Uint8Array, view: readonly number[] | undefined): Promise<BrickSelection> {
  const api = await brickApi();
  const manifest = api.BrickManifest.decode(bytes);
  const bricks = manifest.bricks.map((brick) => ({
    index: brick.index,
    origin: [brick.origin[0] ?? 0, brick.origin[1] ?? 0, brick.origin[2] ?? 0] as const,
    size: [brick.size[0] ?? 0, brick.size[1] ?? 0, brick.size[2] ?? 0] as const,
  }));
  if (view === undefined) return { bricks, selected: bricks.map((brick) => brick.index), by: 'none' };
  if (view.length !== 16 || !view.every((n) => Number.isFinite(n))) {
    throw new StatemeshError('INVALID_ARGUMENT', '@statemesh/cli: a view must be 16 finite numbers (a column-major view-projection matrix)');
  }
  return { bricks, selected: [...api.bricksInFrustum(manifest, api.frustumFromMatrix(view))], by: 'view' };
}

async function brickApi(): Promise<BrickApi> {
  // Through the session only (the cli depends on nothing else); looked up by name so that a session that does not
  // re-export the manifest yet still loads.
  const session = (await import('@statemesh/session')) as Record<string, unknown>;
  const api = { BrickManifest: session['BrickManifest'], bricksInFrustum: session['bricksInFrustum'], frustumFromMatrix: session['frustumFromMatrix'] };
  if (typeof api.BrickManifest !== 'function' || typeof api.bricksInFrustum !== 'function' || typeof api.frustumFromMatrix !== 'function') {
    throw new StatemeshError('UNKNOWN_CODEC', '@statemesh/cli: this @statemesh/session does not export BrickManifest, bricksInFrustum and frustumFromMatrix; upgrade @statemesh/session to see brick pictures');
  }
  return api as unknown as BrickApi;
}
