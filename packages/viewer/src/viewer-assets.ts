// The page's script: the copy built into dist/assets by `pnpm build`, or, in a checkout running from sources,
// bundled now with esbuild (a development dependency) from src/page/main.ts.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StatemeshError } from '@statemesh/session';

/** The built page: its script, bundled for browsers. */
export interface ViewerAssets {
  /** The page's script, one ES module. */
  readonly script: Uint8Array;
  /** Where it came from: `built` (dist/assets) or `bundled` (bundled from src now). */
  readonly source: 'built' | 'bundled';
}

/** True when this module runs from its TypeScript source (a checkout, tests), not from dist/. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');
const BUILT = new URL('./assets/viewer.js', import.meta.url);
const ENTRY = new URL(FROM_SOURCES ? './page/main.ts' : '../src/page/main.ts', import.meta.url);

let cached: Promise<ViewerAssets> | undefined;

/**
 * The viewer's script: read from `dist/assets/viewer.js`, else bundled from the sources (needs `esbuild`). Made
 * once per process. Rejects with `INVALID_CONFIG` when neither is possible.
 */
export function viewerAssets(): Promise<ViewerAssets> {
  cached ??= load().catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function load(): Promise<ViewerAssets> {
  const built = fileURLToPath(BUILT);
  if (!FROM_SOURCES && existsSync(built)) return { script: readFileSync(built), source: 'built' };
  return { script: await bundleViewer({ minify: true }), source: 'bundled' };
}

/** Bundles the page's script from `src/page/main.ts` with esbuild, for browsers. */
export async function bundleViewer(options: { readonly minify: boolean }): Promise<Uint8Array> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (error) {
    throw new StatemeshError('INVALID_CONFIG', '@statemesh/viewer: the page\'s script is not built (no dist/assets/viewer.js) and esbuild is not installed to bundle it; run `pnpm build` in packages/viewer, or npm install esbuild', { cause: error });
  }
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(ENTRY)],
    bundle: true,
    minify: options.minify,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // From sources, the workspace packages' sources too (as the tests and `tsx --conditions` resolve them).
    conditions: FROM_SOURCES ? ['@statemesh/source'] : [],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.contents;
}
