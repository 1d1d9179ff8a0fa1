// The shared transfer function: how voxel values become colour and opacity, kept in the tree at
// `<scene>.transfer`. Values are normalised to 0 … 1 over the range of the volume's coarsest level.

/** The transfer function as written in the tree (JSON). */
export interface SceneTransfer {
  readonly colormap: ColormapName;
  /** Values below `low` are transparent; opacity rises to `high`. 0 … 1. */
  readonly low: number;
  readonly high: number;
  /** Overall opacity, 0 … 1. */
  readonly opacity: number;
}

/** The colour maps the viewer knows. */
export const COLORMAPS = {
  bone: [[0, 0, 0], [84, 84, 116], [168, 199, 199], [255, 255, 255]],
  hot: [[10, 0, 0], [230, 30, 0], [255, 210, 0], [255, 255, 255]],
  cool: [[0, 20, 60], [0, 140, 200], [120, 230, 210], [255, 255, 255]],
} as const;

/** A name of {@link COLORMAPS}. */
export type ColormapName = keyof typeof COLORMAPS;

/** The transfer function of a new scene. */
export const DEFAULT_TRANSFER: SceneTransfer = { colormap: 'hot', low: 0.08, high: 0.9, opacity: 0.8 };

/** The transfer function as read from the tree, or undefined when it is not one (a peer's bad write). */
export function parseTransfer(value: unknown): SceneTransfer | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const unit = (x: unknown): x is number => typeof x === 'number' && x >= 0 && x <= 1;
  if (typeof v['colormap'] !== 'string' || !Object.hasOwn(COLORMAPS, v['colormap'])) return undefined;
  if (!unit(v['low']) || !unit(v['high']) || !unit(v['opacity'])) return undefined;
  return { colormap: v['colormap'] as ColormapName, low: Math.min(v['low'], v['high']), high: Math.max(v['low'], v['high']), opacity: v['opacity'] };
}

/** 256 RGBA texels: the colour and opacity of each normalised value. */
export function transferTable(transfer: SceneTransfer): Uint8Array {
  const table = new Uint8Array(256 * 4);
  const stops = COLORMAPS[transfer.colormap];
  const span = Math.max(1e-6, transfer.high - transfer.low);
  for (let i = 0; i < 256; i++) {
    const t = Math.min(1, Math.max(0, (i / 255 - transfer.low) / span));
    const at = t * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(at));
    const f = at - k;
    for (let c = 0; c < 3; c++) table[i * 4 + c] = Math.round(stops[k]![c]! * (1 - f) + stops[k + 1]![c]! * f);
    table[i * 4 + 3] = i / 255 < transfer.low ? 0 : Math.round(255 * transfer.opacity * t * t);
  }
  return table;
}
