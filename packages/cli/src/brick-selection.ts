import { StatemeshError, type ErrorCode } from '@statemesh/session';

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

interface BrickApi {
  readonly BrickManifest: { decode(bytes: Uint8Array): { readonly bricks: readonly BrickBox[] } };
  readonly bricksInFrustum: (manifest: unknown, planes: unknown) => Iterable<number>;
  readonly frustumFromMatrix: (matrix: ArrayLike<number>) => unknown;
}

const PREFIX = '@statemesh/cli: ';
const HEADER_BYTES = 16;
const VOLUME_HEADER_BYTES = 28;
const RECORD_BYTES = 45;

/**
 * Decodes a `brick-manifest` value and selects its bricks with `view` (a column-major view-projection matrix, 16
 * numbers; conservative: a brick touching the frustum counts as inside) or keeps them all. Uses the decoder and
 * culler `@statemesh/session` re-exports from `@statemesh/brick-manifest` when it does; otherwise reads the
 * documented byte layout (brick-manifest's PROTOCOL.md, version 1) itself. Bad bytes throw `TRUNCATED`,
 * `BAD_MAGIC`, `VERSION_MISMATCH` or `CORRUPT_INPUT`.
 */
export async function selectBricks(bytes: Uint8Array, view: readonly number[] | undefined): Promise<BrickSelection> {
  if (view !== undefined && (view.length !== 16 || !view.every((n) => typeof n === 'number' && Number.isFinite(n)))) {
    throw new StatemeshError('INVALID_ARGUMENT', `${PREFIX}a view must be 16 finite numbers (a column-major view-projection matrix)`);
  }
  const api = await sessionBrickApi();
  let bricks: readonly BrickBox[];
  let selected: Iterable<number>;
  if (api !== undefined) {
    const manifest = api.BrickManifest.decode(bytes);
    bricks = manifest.bricks;
    selected = view === undefined ? bricks.map((brick) => brick.index) : api.bricksInFrustum(manifest, api.frustumFromMatrix(view));
  } else {
    bricks = readBricks(bytes);
    selected = view === undefined ? bricks.map((brick) => brick.index) : cull(bricks, planesOf(view));
  }
  return summarise(bricks, new Set(selected), view === undefined ? 'none' : 'view');
}

async function sessionBrickApi(): Promise<BrickApi | undefined> {
  // Through the session only (the cli depends on nothing else), looked up by name: a session that does not
  // re-export the manifest still loads, and the reader below takes over.
  const session = (await import('@statemesh/session')) as Record<string, unknown>;
  const api = { BrickManifest: session['BrickManifest'], bricksInFrustum: session['bricksInFrustum'], frustumFromMatrix: session['frustumFromMatrix'] };
  if (typeof api.BrickManifest !== 'function' || typeof api.bricksInFrustum !== 'function' || typeof api.frustumFromMatrix !== 'function') return undefined;
  return api as unknown as BrickApi;
}

/** The origin and size of every brick record (PROTOCOL.md version 1), checked as hostile input. */
function readBricks(bytes: Uint8Array): BrickBox[] {
  const fail = (code: ErrorCode, problem: string): never => {
    throw new StatemeshError(code, `${PREFIX}not a brick manifest: ${problem}`);
  };
  if (bytes.byteLength < HEADER_BYTES) fail('TRUNCATED', `${bytes.byteLength} bytes, shorter than the 16-byte header`);
  const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (data.getUint32(0, false) !== 0x534d424d) fail('BAD_MAGIC', 'the first four bytes are not "SMBM"');
  if (data.getUint16(4, true) !== 1) fail('VERSION_MISMATCH', `version ${data.getUint16(4, true)}; this reader knows version 1`);
  const flags = data.getUint16(6, true);
  if ((flags & ~1) !== 0 || data.getUint32(12, true) !== 0) fail('CORRUPT_INPUT', 'unknown flags or reserved bytes set');
  const count = data.getUint32(8, true);
  let offset = HEADER_BYTES + ((flags & 1) === 1 ? VOLUME_HEADER_BYTES : 0);
  if (offset > bytes.byteLength || count > (bytes.byteLength - offset) / RECORD_BYTES) fail('TRUNCATED', `${count} bricks do not fit in ${bytes.byteLength} bytes`);
  const bricks: BrickBox[] = [];
  for (let index = 0; index < count; index++) {
    if (offset + RECORD_BYTES > bytes.byteLength) fail('TRUNCATED', `brick ${index} is cut off`);
    const u32 = (at: number) => data.getUint32(offset + at, true);
    const origin = [u32(0), u32(4), u32(8)] as const;
    const size = [u32(12), u32(16), u32(20)] as const;
    if (size.some((s) => s === 0)) fail('CORRUPT_INPUT', `brick ${index} has an empty size`);
    const extras = data.getUint8(offset + 44);
    if ((extras & ~3) !== 0) fail('CORRUPT_INPUT', `brick ${index} has unknown extras`);
    offset += RECORD_BYTES + ((extras & 1) === 1 ? 32 : 0) + ((extras & 2) === 2 ? 8 : 0);
    if (offset > bytes.byteLength) fail('TRUNCATED', `brick ${index} is cut off`);
    bricks.push({ index, origin, size });
  }
  if (offset !== bytes.byteLength) fail('CORRUPT_INPUT', `${bytes.byteLength - offset} bytes after the last brick`);
  return bricks;
}

/** The six inward planes `[a, b, c, d]` (inside: a·x + b·y + c·z + d ≥ 0) of a column-major view-projection. */
function planesOf(m: readonly number[]): number[][] {
  const row = (i: number) => [m[i]!, m[4 + i]!, m[8 + i]!, m[12 + i]!];
  const [r0, r1, r2, r3] = [row(0), row(1), row(2), row(3)];
  const plus = (a: number[], b: number[]) => a.map((v, i) => v + b[i]!);
  const minus = (a: number[], b: number[]) => a.map((v, i) => v - b[i]!);
  return [plus(r3, r0), minus(r3, r0), plus(r3, r1), minus(r3, r1), plus(r3, r2), minus(r3, r2)];
}

/** Conservative p-vertex test: a brick is outside only when its farthest corner along a plane's normal is. */
function* cull(bricks: readonly BrickBox[], planes: readonly number[][]): Generator<number> {
  next: for (const brick of bricks) {
    for (const [a, b, c, d] of planes) {
      const x = a! >= 0 ? brick.origin[0]! + brick.size[0]! : brick.origin[0]!;
      const y = b! >= 0 ? brick.origin[1]! + brick.size[1]! : brick.origin[1]!;
      const z = c! >= 0 ? brick.origin[2]! + brick.size[2]! : brick.origin[2]!;
      if (a! * x + b! * y + c! * z + d! < 0) continue next;
    }
    yield brick.index;
  }
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
