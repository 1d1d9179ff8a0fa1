// The CI check of issue 17: session's browser entry bundled for the browser reaches no Node built-in, and the
// bundle of contracts + hlc + shard + protocol + transport-websocket + session's browser entry (with what they
// pull in: wire, blob-store, protobufjs, fzstd...) stays within 80 KB minified and gzipped.
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBrowserBundle, type BrowserBuild } from './browser-build.js';

const BUDGET_GZIPPED_BYTES = 80 * 1024;
let bundle: BrowserBuild;
let gzipped = 0;

beforeAll(async () => {
  bundle = await buildBrowserBundle({ minify: true });
  gzipped = gzipSync(bundle.code).byteLength;
}, 60_000);

/** What a package (or npm dependency) adds to the minified output, in bytes. */
function byPart(inputs: ReadonlyMap<string, number>): Map<string, number> {
  const parts = new Map<string, number>();
  for (const [input, bytes] of inputs) {
    const npm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(input);
    const part = npm === null ? input.split('/')[0]! : npm[1]!;
    parts.set(part, (parts.get(part) ?? 0) + bytes);
  }
  return new Map([...parts].sort((a, b) => b[1] - a[1]));
}

describe("session's browser bundle", () => {
  it('reaches no Node built-in and not ws', () => {
    expect(bundle.nodeImports).toEqual([]);
  });

  it('is within the budget of 80 KB gzipped (printed, with what each part adds)', () => {
    const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
    const parts = [...byPart(bundle.inputs)].map(([part, bytes]) => `${part} ${kib(bytes)}`).join(', ');
    console.log(
      `browser bundle (contracts + hlc + shard + protocol + transport-websocket + session/browser): ${kib(bundle.code.byteLength)} minified, ` +
        `${kib(gzipped)} gzipped, budget ${kib(BUDGET_GZIPPED_BYTES)} gzipped (${((100 * gzipped) / BUDGET_GZIPPED_BYTES).toFixed(0)}%)\n  minified by part: ${parts}`,
    );
    expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIPPED_BYTES);
  });

  it('holds the six parts the budget names, the browser stand-ins, and none of the Node-only pieces', () => {
    const files = [...bundle.inputs.keys()];
    for (const part of ['contracts/src/', 'hlc/src/', 'shard/src/shard.ts', 'protocol/src/protocol-transport.ts', 'transport-websocket/src/websocket-link.ts', 'session/src/browser.ts']) {
      expect(files.filter((file) => file.includes(part))).not.toEqual([]);
    }
    expect(files).toContain('blob-store/src/sha256.browser.ts');
    for (const nodeOnly of ['blob-store/src/sha256.ts', 'blob-store/src/file-blob-store.ts', 'session/src/join.ts', 'session/src/sequence-mark.ts', 'codec-zstd/', 'grpc', 'transport-ipc/', 'websocket-listener']) {
      expect(files.filter((file) => file.includes(nodeOnly))).toEqual([]);
    }
  });

  it('is what a bundler gets for @statemesh/session by name with the browser condition', async () => {
    const byName = await buildBrowserBundle({ minify: false, contents: "export { join } from '@statemesh/session';" });
    const files = [...byName.inputs.keys()];
    expect(files).toContain('session/src/browser.ts');
    expect(files).not.toContain('session/src/index.ts');
    expect(byName.nodeImports).toEqual([]);
  }, 60_000);
});
