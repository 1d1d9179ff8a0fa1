import { BrickManifest, StatemeshError, bricksInFrustum, frustumFromMatrix } from '@statemesh/session';

/** One x-y column of bricks as the dashboard draws it (the grid seen from above). */
export interface BrickColumn {
  /** Origin and extent of the column, in voxels. */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Bricks stacked in the column, and how many of them the view selects. */
  readonly total: number;
  readonly selected: number;
}

/** Which bricks of a manifest the current view selects, summarised per x-y column. */
export interface BrickSelection {
  readonly bricks: number;
  readonly selected: number;
  /** `view`: selected by the view-projection matrix at `<path>.view`; `none`: no view set, every brick selected. */
  readonly by: 'view' | 'none';
  /** The extent of the bricks, in voxels. */
  readonly bounds: readonly [number, number, number];
  readonly columns: readonly BrickColumn[];
}

/** The part of a brick the picture needs. */
interface BrickBox {
  readonly index: number;
  readonly origin: ArrayLike<number>;
  readonly size: ArrayLike<number>;
}

const PREFIX = '@statemesh/cli: ';

/**
 * Decodes a `brick-manifest` value and selects its bricks with `view` (a column-major view-projection matrix, 16
 * numbers; conservative: a brick touching the frustum counts as inside) or keeps them all. Bad bytes throw the
 * manifest decoder's errors (`TRUNCATED`, `BAD_MAGIC`, ...).
 */
export async function selectBricks(bytes: Uint8Array, view: readonly number[] | undefined): Promise<BrickSelection> {
  if (view !== undefined && (view.length !== 16 || !view.every((n) => typeof n === 'number' && Number.isFinite(n)))) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}a view must be 16 finite numbers (a column-major view-projection matrix)`);
  }
  const manifest = BrickManifest.decode(bytes);
  const bricks: readonly BrickBox[] = manifest.bricks();
  const selected = view === undefined ? bricks.map((brick) => brick.index) : bricksInFrustum(manifest, frustumFromMatrix(view));
  return Promise.resolve(summarise(bricks, new Set(selected), view === undefined ? 'none' : 'view'));
}

function summarise(bricks: readonly BrickBox[], selected: ReadonlySet<number>, by: 'view' | 'none'): BrickSelection {
  const columns = new Map<string, { x: number; y: number; width: number; height: number; total: number; selected: number }>();
  const bounds: [number, number, number] = [0, 0, 0];
  let count = 0;
  for (const brick of bricks) {
    for (let axis = 0; axis < 3; axis++) bounds[axis] = Math.max(bounds[axis]!, brick.origin[axis]! + brick.size[axis]!);
    const key = `${brick.origin[0]},${brick.origin[1]}`;
    let column = columns.get(key);
    if (column === undefined) {
      column = { x: brick.origin[0]!, y: brick.origin[1]!, width: brick.size[0]!, height: brick.size[1]!, total: 0, selected: 0 };
      columns.set(key, column);
    }
    column.total++;
    if (selected.has(brick.index)) {
      column.selected++;
      count++;
    }
  }
  return { bricks: bricks.length, selected: count, by, bounds, columns: [...columns.values()] };
}
