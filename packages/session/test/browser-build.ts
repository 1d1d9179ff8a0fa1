// Bundles the browser entry with esbuild for `platform: 'browser'`, recording every Node built-in (or `ws`) an
// import on its path reaches: shared by the bundle check and the Chromium test.
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
const NODE_ONLY = new Set([...builtinModules, 'ws']);

/** A Node-only import the bundle reached: what, and from which file (relative to packages/). */
export interface NodeImport {
  readonly path: string;
  readonly importer: string;
}

/** The bundle, what it reached that a browser does not have, and its inputs with their bytes in the output. */
export interface BrowserBuild {
  readonly code: Uint8Array;
  readonly nodeImports: readonly NodeImport[];
  /** Input files relative to packages/ (`shard/src/shard.ts`, `../node_modules/.pnpm/fzstd@.../esm/index.mjs`). */
  readonly inputs: ReadonlyMap<string, number>;
}

/** Bundles `stdin` (default: `export * from './src/browser.ts'`) as one ES module for browsers. */
export async function buildBrowserBundle(options: { minify: boolean; contents?: string }): Promise<BrowserBuild> {
  const nodeImports: NodeImport[] = [];
  const result = await build({
    stdin: { contents: options.contents ?? "export * from './src/browser.ts';", resolveDir: packageDir, loader: 'ts', sourcefile: 'entry.ts' },
    bundle: true,
    minify: options.minify,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@statemesh/source'],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: packageDir,
    plugins: [
      {
        name: 'record-node-imports',
        setup(plugin) {
          plugin.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.replace(/^node:/, '').split('/')[0]!;
            if (!args.path.startsWith('node:') && !NODE_ONLY.has(bare)) return undefined;
            nodeImports.push({ path: args.path, importer: args.importer.replace(/.*\/packages\//, '') });
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const output = Object.values(result.metafile.outputs)[0]!;
  const inputs = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) inputs.set(resolve(packageDir, input).replace(/.*\/packages\//, ''), bytesInOutput);
  return { code: result.outputFiles[0]!.contents, nodeImports: nodeImports.sort((a, b) => a.importer.localeCompare(b.importer)), inputs };
}
