// The files the package's `browser` field puts in place of Node-only ones: they must agree with the Node ones.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSha256, sha256Hex } from '@statemesh/blob-store';
import { createSha256 as browserCreateSha256, sha256Hex as browserSha256Hex } from '../src/sha256.browser.ts';
import { FileBlobStore as BrowserFileBlobStore } from '../src/file-blob-store.browser.ts';
import { seededBytes } from './seeded-bytes.js';

const nodeDigest = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex');

describe('sha256.browser.ts (@noble/hashes)', () => {
  it('digests as node:crypto does, from empty to several blocks and beyond', () => {
    for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 100_003]) {
      const bytes = seededBytes(size, size + 1);
      expect(browserSha256Hex(bytes), `${size} bytes`).toBe(nodeDigest(bytes));
      expect(sha256Hex(bytes)).toBe(nodeDigest(bytes));
    }
  });

  it('hashes incrementally, bytes and UTF-8 text alike, as the Node one does', () => {
    const parts: Array<Uint8Array | string> = ['path\0', seededBytes(70, 3), 'é ☃ 𝄞', new Uint8Array(), seededBytes(5000, 4), '\n'];
    const browser = browserCreateSha256();
    const node = createSha256();
    for (const part of parts) {
      browser.update(part);
      node.update(part);
    }
    const whole = createHash('sha256');
    for (const part of parts) whole.update(part);
    const expected = whole.digest('hex');
    expect(browser.digestHex()).toBe(expected);
    expect(node.digestHex()).toBe(expected);
  });
});

describe('file-blob-store.browser.ts', () => {
  it('refuses to open, saying to use MemoryBlobStore', async () => {
    await expect(BrowserFileBlobStore.open('/tmp/blobs')).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringMatching(/^@statemesh\/blob-store: .*MemoryBlobStore/) });
  });
});

describe('the browser field', () => {
  it('maps the Node-only files, in src and dist, to their stand-ins', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { browser: Record<string, string> };
    expect(manifest.browser).toEqual({
      './src/sha256.js': './src/sha256.browser.ts',
      './src/file-blob-store.js': './src/file-blob-store.browser.ts',
      './dist/sha256.js': './dist/sha256.browser.js',
      './dist/file-blob-store.js': './dist/file-blob-store.browser.js',
    });
  });
});
