import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boundZstdFrames, zstdCodec } from '@statemesh/codec-zstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, seededJson } from './seeded-random.ts';
import { zstdCli } from './zstd-cli.ts';

// These tests need the `zstd` command-line tool (Debian package `zstd`). They never skip: without it they fail
// with a message saying what to install.
describe('interop with the zstd command-line tool', () => {
  let dir = '';
  const payload = new Uint8Array([...seededJson(150_000, 11), ...seededBytes(20_000, 12), ...new Uint8Array(30_000)]);

  beforeAll(() => {
    zstdCli(['--version']);
    dir = mkdtempSync(join(tmpdir(), 'codec-zstd-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const level of [1, 3, 19]) {
    it(`zstd -d decompresses what we compress at level ${level}`, async () => {
      const frame = await zstdCodec({ level }).encode(payload);
      expect(Buffer.compare(zstdCli(['-d', '-q', '-c'], frame), payload)).toBe(0);
      // `zstd -lv` reads the content size we write into the header.
      const file = join(dir, `ours-${level}.zst`);
      writeFileSync(file, frame);
      const listing = Buffer.from(zstdCli(['-lv', file])).toString();
      expect(listing).toContain(`Decompressed Size: `);
      expect(listing).toContain(`(${payload.byteLength} B)`);
    });

    it(`we decompress what zstd -${level} compresses from a file (content size and checksum in the header)`, async () => {
      const file = join(dir, `payload-${level}`);
      writeFileSync(file, payload);
      const frame = zstdCli([`-${level}`, '-q', '-c', file]);
      const bound = boundZstdFrames(frame, Number.MAX_SAFE_INTEGER);
      expect(bound).toMatchObject({ frames: 1, exact: true, checksummed: true, maxDecodedBytes: payload.byteLength });
      expect(Buffer.compare(await zstdCodec().decode(frame), payload)).toBe(0);
    });

    it(`we decompress what zstd -${level} streams from stdin (no content size in the header)`, async () => {
      const frame = zstdCli([`-${level}`, '-q', '-c'], payload);
      expect(boundZstdFrames(frame, Number.MAX_SAFE_INTEGER).exact).toBe(false);
      expect(Buffer.compare(await zstdCodec().decode(frame), payload)).toBe(0);
    });
  }

  it('decodes several frames and skippable frames in a row, as zstd -d does', async () => {
    const first = zstdCli(['-1', '-q', '-c'], payload.subarray(0, 1000));
    const second = await zstdCodec().encode(payload.subarray(1000, 5000));
    const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
    const joined = new Uint8Array([...first, ...skippable, ...second]);
    expect(Buffer.compare(await zstdCodec().decode(joined), payload.subarray(0, 5000))).toBe(0);
    expect(Buffer.compare(zstdCli(['-d', '-q', '-c'], joined), payload.subarray(0, 5000))).toBe(0);
  });
});
