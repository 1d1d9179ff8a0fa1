import { spawnSync } from 'node:child_process';
import { isStatemeshError, StatemeshError } from '@statemesh/contracts';
import { boundZstdFrames, zstdCodec } from '@statemesh/codec-zstd';
import { describe, expect, it } from 'vitest';
import { craftedFrame } from './crafted-frame.ts';
import { zstdCli } from './zstd-cli.ts';

const MiB = 1024 * 1024;
const codec = zstdCodec();

async function decodeError(data: Uint8Array, maxDecodedBytes?: number): Promise<StatemeshError> {
  try {
    await codec.decode(data, maxDecodedBytes === undefined ? undefined : { maxDecodedBytes });
  } catch (error) {
    if (isStatemeshError(error)) return error;
    throw error;
  }
  throw new Error('expected decode to fail');
}

describe('decompression bombs are refused before decoding', () => {
  it('refuses a 30-byte frame that declares a 1 TiB content size', async () => {
    const bomb = craftedFrame({ blocks: 1, blockSize: 1, contentSize: 2 ** 40 });
    expect(bomb.byteLength).toBeLessThan(30);
    const error = await decodeError(bomb);
    expect(error.code).toBe('DECODED_TOO_LARGE');
    expect(error.message).toMatch(/^@statemesh\/codec-zstd: .*1099511627776 bytes.*raise maxDecodedBytes/);
    expect(error.details).toMatchObject({ size: 2 ** 40, max: 1024 * MiB, exact: true });
  });

  it('refuses a 128 KiB frame without content size whose RLE blocks expand to 4 GiB, without allocating it', async () => {
    // 32 768 RLE blocks of 128 KiB: four bytes each on the wire. Decoded, this would take the process down.
    const bomb = craftedFrame({ blocks: 32_768, blockSize: 128 * 1024 });
    expect(bomb.byteLength).toBeLessThan(140_000);
    const before = process.memoryUsage().rss;
    const error = await decodeError(bomb);
    expect(error.code).toBe('DECODED_TOO_LARGE');
    expect(error.message).toContain('declares no content size');
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MiB);
  });

  it('refuses a real bomb streamed by the zstd CLI (256 MiB of zeros, no content size in the header)', async () => {
    zstdCli(['--version']); // fails with "install the zstd Debian package" when it is absent
    const streamed = spawnSync('sh', ['-c', 'head -c 268435456 /dev/zero | zstd -q -1 -c'], { timeout: 60_000 });
    expect(streamed.status).toBe(0);
    const bomb = new Uint8Array(streamed.stdout);
    expect(bomb.byteLength).toBeLessThan(64 * 1024);
    expect(boundZstdFrames(bomb, Number.MAX_SAFE_INTEGER)).toMatchObject({ exact: false });
    const error = await decodeError(bomb, 64 * MiB);
    expect(error.code).toBe('DECODED_TOO_LARGE');
  });

  it('refuses our own 64 MiB-of-zeros frame at a 1 MiB limit, exactly by its declared size', async () => {
    const frame = await codec.encode(new Uint8Array(64 * MiB));
    expect(frame.byteLength).toBeLessThan(64 * 1024);
    const error = await decodeError(frame, MiB);
    expect(error.code).toBe('DECODED_TOO_LARGE');
    expect(error.details).toMatchObject({ size: 64 * MiB, max: MiB, exact: true });
  });

  it('counts every frame of a concatenation against the limit', async () => {
    const frame = await codec.encode(new Uint8Array(600_000));
    const twice = new Uint8Array([...frame, ...frame]);
    expect(await codec.decode(twice, { maxDecodedBytes: 1_200_000 })).toHaveLength(1_200_000);
    expect((await decodeError(twice, 1_199_999)).code).toBe('DECODED_TOO_LARGE');
  });

  it('fails with CORRUPT_INPUT, not a huge allocation, when a frame lies about a small content size', async () => {
    // Declares 10 bytes, holds 256 MiB of RLE blocks: the decoder stops at the declared size.
    const liar = craftedFrame({ blocks: 2048, blockSize: 128 * 1024, contentSize: 10 });
    const before = process.memoryUsage().rss;
    expect((await decodeError(liar, 64 * MiB)).code).toBe('CORRUPT_INPUT');
    expect(process.memoryUsage().rss - before).toBeLessThan(128 * MiB);
  });

  it('accepts a frame without content size whose block bound is within the limit', async () => {
    const frame = craftedFrame({ blocks: 8, blockSize: 128 * 1024 });
    const decoded = await codec.decode(frame, { maxDecodedBytes: MiB });
    expect(decoded).toHaveLength(MiB);
    expect(decoded.every((byte) => byte === 0x41)).toBe(true);
    expect((await decodeError(frame, MiB - 1)).code).toBe('DECODED_TOO_LARGE');
  });
});
