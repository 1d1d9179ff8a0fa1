// The browser entry bundled for the browser with esbuild: no Node built-in and not `ws` on its path, and the size of
// contracts + wire + protocol + transport-websocket's browser entry, minified and gzipped, printed.
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const NODE_ONLY = new Set([...builtinModules, 'ws']);

/** A Node-only import the bundle reached: what, and from which file (relative to packages/). */
interface NodeImport {
  readonly path: string;
  readonly importer: string;
}

let found: NodeImport[] = [];
let bytes = 0;
let gzipped = 0;
let inputs: string[] = [];

beforeAll(async () => {
  const result = await build({
    entryPoints: [`${packageDir}/src/browser.ts`],
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    conditions: ['@statemesh/source', 'browser'],
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: packageDir,
    plugins: [
      {
        name: 'refuse-node-modules',
        setup(plugin) {
          plugin.onResolve({ filter: /.*/ }, (args) => {
            const bare = args.path.replace(/^node:/, '');
            if (!args.path.startsWith('node:') && !NODE_ONLY.has(bare.split('/')[0]!)) return undefined;
            found.push({ path: args.path, importer: args.importer.replace(/.*\/packages\//, '') });
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  const output = result.outputFiles[0]!.contents;
  bytes = output.byteLength;
  gzipped = gzipSync(output).byteLength;
  // Relative to packages/: `contracts/src/error.ts`, `transport-websocket/src/websocket-link.ts`, `../node_modules/...`.
  inputs = Object.keys(result.metafile.inputs).map((input) => resolve(packageDir, input).replace(/.*\/packages\//, ''));
  found = found.sort((a, b) => a.importer.localeCompare(b.importer));
}, 60_000);

describe('the browser bundle', () => {
  it('reaches no Node built-in and not ws, through contracts, wire, protocol or transport-websocket', () => {
    console.log(`browser bundle (contracts + wire + protocol + transport-websocket/browser): ${(bytes / 1024).toFixed(1)} KiB minified, ${(gzipped / 1024).toFixed(1)} KiB gzipped`);
    expect(found).toEqual([]);
    expect(inputs.some((input) => input.includes('/ws/') || input.includes('ws@'))).toBe(false);
    expect(inputs.some((input) => input.includes('transport-websocket/src/websocket-listener'))).toBe(false);
  });

  it('a bundler asking for the package by name with the browser condition gets the browser entry', async () => {
    const result = await build({
      stdin: { contents: "export { websocketTransport } from '@statemesh/transport-websocket';", resolveDir: packageDir, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      conditions: ['@statemesh/source'],
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: packageDir,
      external: ['node:*'],
    });
    const files = Object.keys(result.metafile.inputs).map((input) => resolve(packageDir, input).replace(/.*\/packages\//, ''));
    expect(files).toContain('transport-websocket/src/browser.ts');
    expect(files).not.toContain('transport-websocket/src/index.ts');
  });

  it('holds contracts, protocol and the link, and stays small', () => {
    for (const part of ['contracts/src/', 'protocol/src/protocol-transport.ts', 'transport-websocket/src/websocket-link.ts']) {
      expect(inputs.some((input) => input.includes(part))).toBe(true);
    }
    expect(gzipped).toBeLessThan(60 * 1024);
  });
});
